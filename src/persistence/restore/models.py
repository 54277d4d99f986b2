"""Typed plan and result of a restore; also the `--json` contract of restore-backup."""

from __future__ import annotations

from pydantic import BaseModel, Field

from persistence.components.models import ComponentPlan, ComponentRestoreResult
from persistence.core.results import RunResult


class SpaceCheck(BaseModel):
    path: str
    purpose: str
    needed_bytes: int
    free_bytes: int
    ok: bool


class RestorePlan(BaseModel):
    """What a restore would do. `ok` is False (with `error`) when no plan could be made."""

    ok: bool = True
    error: str | None = None
    exit_code: int = 0
    backup_id: str | None = None
    backup_path: str | None = None
    created_at: str | None = None
    if_empty: bool = False
    only: list[str] | None = None
    components: list[ComponentPlan] = []
    bytes_to_write: int = 0
    space: list[SpaceCheck] = []
    warnings: list[str] = []
    # Blocking problems: a real restore refuses while there is any.
    problems: list[str] = []
    nothing_to_do: bool = True
    undo: str = ""

    def component(self, name: str) -> ComponentPlan | None:
        return next((c for c in self.components if c.name == name), None)


class RestoreResult(RunResult):
    backup_id: str | None = None
    undo_id: str | None = None
    forced: bool = False
    verified: bool = False
    nothing_to_do: bool = False
    components: list[ComponentRestoreResult] = Field(
        default_factory=lambda: list[ComponentRestoreResult]()
    )
    warnings: list[str] = Field(default_factory=lambda: list[str]())
