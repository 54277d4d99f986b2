"""Typed results the service hands to its shells (CLI, panel); also the `--json` contract."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from persistence.core.keep_reasons import KeepReason

# Their validators are built on first use: listings import this module for ComponentStatus
# alone, and building every result's schema costs each start-up ~5 ms (issue 12).
DEFERRED = ConfigDict(defer_build=True)


class ComponentStatus(StrEnum):
    """What a backup holds of a component (a manifest field and a `--json` field)."""

    CAPTURED = "captured"
    ABSENT = "absent"
    FAILED = "failed"
    SKIPPED = "skipped"


class ComponentSummary(BaseModel):
    model_config = DEFERRED

    name: str
    status: ComponentStatus
    method: str | None = None
    source: str | None = None
    bytes: int = 0
    file_count: int = 0
    error: str | None = None
    warnings: list[str] = []


class RunResult(BaseModel):
    """What every command's result carries: scripts read these first."""

    model_config = DEFERRED

    ok: bool
    error: str | None = None
    exit_code: int = 0
    started_at: str | None = None
    duration_seconds: float = 0.0


class IgnoredBackup(BaseModel):
    model_config = DEFERRED

    backup_id: str
    reason: str


class PruneResult(RunResult):
    dry_run: bool
    deleted: list[str] = []
    kept: list[str] = []
    keep_rules: dict[str, list[str]] = {}  # the reasons below as text, for people
    keep_reasons: dict[str, list[KeepReason]] = {}
    ignored: list[IgnoredBackup] = []
    # pre-restore undo copies, pruned by BACKUP_KEEP_UNDO; their reasons are in keep_rules
    undo_deleted: list[str] = []
    undo_kept: list[str] = []


class RemotePush(BaseModel):
    """What a push did (`push-backup`, or `create-backup --push`); see docs/specs/remote.md."""

    model_config = DEFERRED

    remote: str | None = None  # where, as shown: never with credentials
    pushed: bool = False
    backup_ids: list[str] = []
    objects_sent: int = 0
    bytes_sent: int = 0
    objects_skipped: int = 0
    error: str | None = None
    prune: PruneResult | None = None  # the remote retention applied after a successful push


class CreateResult(RunResult):
    backup_id: str | None = None
    path: str | None = None
    components: list[ComponentSummary] = []
    warnings: list[str] = []
    leftovers_removed: list[str] = []
    # Server-side snapshots earlier runs asked for and never cleaned up, deleted by this run.
    orphans_removed: list[str] = []
    prune: PruneResult | None = None
    remote: RemotePush | None = None  # set when the backup was pushed (--push)
