"""Typed plan and result of a restore; also the `--json` contract of restore-backup."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from persistence.core.results import RunResult

# restore: the component is rebuilt from the backup and swapped in;
# restore-missing: (--if-empty) only what is missing is written;
# leave: nothing to do, or not in this backup; skip: not selected with --only.
ComponentAction = Literal["restore", "restore-missing", "leave", "skip"]


class ShardPlan(BaseModel):
    """A cluster restore: which shard file goes to which node."""

    shard_id: int
    file: str
    node: str


class CollectionPlan(BaseModel):
    name: str
    action: Literal["recover", "replace", "leave"]
    snapshot_file: str
    bytes: int
    points_expected: int | None = None
    points_now: int | None = None
    shards: list[ShardPlan] = []


class ComponentPlan(BaseModel):
    name: str
    action: ComponentAction
    target: str | None = None
    reason: str = ""
    files_written: list[str] = []
    files_replaced: list[str] = []
    files_removed: list[str] = []
    files_unchanged: int = 0
    bytes_to_write: int = 0
    bytes_staged: int = 0
    current_bytes: int = 0
    collections: list[CollectionPlan] = []
    warnings: list[str] = []
    # A blocking problem: a real restore refuses while any component has one.
    problems: list[str] = []

    @property
    def changes(self) -> bool:
        return self.action in ("restore", "restore-missing")


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


class ComponentRestoreResult(BaseModel):
    name: str
    ok: bool
    action: ComponentAction
    files_written: int = 0
    files_removed: int = 0
    bytes_written: int = 0
    collections_recovered: list[str] = []
    error: str | None = None
    warnings: list[str] = []


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
