"""A record of every run in the backup root, for the panel and for monitoring."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ValidationError

from persistence.fsio import write_atomic

RUNLOG_NAME = "runs.json"
KEEP_RECORDS = 500


class RunKind(StrEnum):
    CREATE = "create"
    PRUNE = "prune"
    VERIFY = "verify"
    RESTORE = "restore"
    SNAPSHOT = "snapshot"


class RunRecord(BaseModel):
    kind: RunKind
    ok: bool
    started_at: datetime
    finished_at: datetime
    backup_id: str | None = None
    error: str | None = None
    summary: str = ""


class RunLog(BaseModel):
    runs: list[RunRecord] = []


def read_runs(backup_dir: Path) -> list[RunRecord]:
    try:
        return RunLog.model_validate_json((backup_dir / RUNLOG_NAME).read_bytes()).runs
    except (OSError, ValidationError):
        return []


def append_run(backup_dir: Path, record: RunRecord) -> None:
    """Append under the backup lock; the file is replaced atomically, never half-written."""
    runs = [*read_runs(backup_dir), record][-KEEP_RECORDS:]
    write_atomic(backup_dir / RUNLOG_NAME, RunLog(runs=runs).model_dump_json(indent=1).encode())


def record_run(
    backup_dir: Path,
    kind: RunKind,
    *,
    started_at: datetime,
    ok: bool,
    backup_id: str | None = None,
    error: str | None = None,
    summary: str = "",
) -> RunRecord:
    """Append a run that finishes now; call under the backup lock."""
    record = RunRecord(
        kind=kind,
        ok=ok,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        backup_id=backup_id,
        error=error,
        summary=summary,
    )
    append_run(backup_dir, record)
    return record


def last_run(backup_dir: Path, kind: RunKind, *, ok: bool | None = None) -> RunRecord | None:
    for record in reversed(read_runs(backup_dir)):
        if record.kind is kind and (ok is None or record.ok is ok):
            return record
    return None


def verified_at(runs: list[RunRecord]) -> dict[str, datetime]:
    """When each backup last passed verification."""
    seen: dict[str, datetime] = {}
    for record in runs:
        if record.kind is RunKind.VERIFY and record.ok and record.backup_id:
            seen[record.backup_id] = record.finished_at
    return seen
