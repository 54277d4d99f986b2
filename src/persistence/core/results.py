"""Typed results the service hands to its shells (CLI, panel); also the `--json` contract."""

from __future__ import annotations

from pydantic import BaseModel

from persistence.core.keep_reasons import KeepReason


class ComponentSummary(BaseModel):
    name: str
    status: str
    method: str | None = None
    source: str | None = None
    bytes: int = 0
    file_count: int = 0
    error: str | None = None
    warnings: list[str] = []


class RunResult(BaseModel):
    """What every command's result carries: scripts read these first."""

    ok: bool
    error: str | None = None
    exit_code: int = 0
    started_at: str | None = None
    duration_seconds: float = 0.0


class IgnoredBackup(BaseModel):
    backup_id: str
    reason: str


class PruneResult(RunResult):
    dry_run: bool
    deleted: list[str] = []
    kept: list[str] = []
    keep_rules: dict[str, list[str]] = {}  # the reasons below as text, for people
    keep_reasons: dict[str, list[KeepReason]] = {}
    ignored: list[IgnoredBackup] = []


class CreateResult(RunResult):
    backup_id: str | None = None
    path: str | None = None
    components: list[ComponentSummary] = []
    warnings: list[str] = []
    leftovers_removed: list[str] = []
    prune: PruneResult | None = None
