"""A record of every run in the backup root, for the panel and for monitoring."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, JsonValue, ValidationError

from persistence.core.atomic import write_atomic
from persistence.core.redact import one_line, redact

logger = logging.getLogger(__name__)

RUNLOG_NAME = "runs.json"
KEEP_RECORDS = 500


class RunKind(StrEnum):
    CREATE = "create"
    PRUNE = "prune"
    VERIFY = "verify"
    RESTORE = "restore"
    SNAPSHOT = "snapshot"
    PUSH = "push"
    PULL = "pull"
    REMOTE_VERIFY = "remote-verify"
    REMOTE_PRUNE = "remote-prune"


class RunRecord(BaseModel):
    kind: RunKind
    ok: bool
    started_at: datetime
    finished_at: datetime
    backup_id: str | None = None
    error: str | None = None
    summary: str = ""


class RunLog(BaseModel):
    # Kept as raw JSON so records this version cannot read (a newer tool's kinds) survive.
    runs: list[JsonValue] = []


class RunLogUnreadable(Exception):
    """The run log exists but cannot be read: it is never overwritten in that state."""


def _load(backup_dir: Path, *, move_corrupt_aside: bool) -> list[JsonValue]:
    path = backup_dir / RUNLOG_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunLogUnreadable(f"cannot read the run log {path}: {exc.strerror}") from exc
    try:
        return RunLog.model_validate_json(data).runs
    except ValidationError:
        if not move_corrupt_aside:
            return []
        aside = path.with_name(f"{RUNLOG_NAME}.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        path.rename(aside)
        logger.warning("the run log %s was unreadable; kept as %s, a new one starts", path, aside)
        return []


def read_runs(backup_dir: Path) -> list[RunRecord]:
    """Every record this version understands; unknown or damaged ones are passed over."""
    try:
        raw = _load(backup_dir, move_corrupt_aside=False)
    except RunLogUnreadable:
        return []
    records: list[RunRecord] = []
    for item in raw:
        try:
            records.append(RunRecord.model_validate(item))
        except ValidationError:
            continue
    return records


def append_run(backup_dir: Path, record: RunRecord) -> None:
    """Append under the backup lock; the file is replaced atomically, never half-written."""
    entry: JsonValue = json.loads(record.model_dump_json())
    runs = [*_load(backup_dir, move_corrupt_aside=True), entry]
    body = RunLog(runs=runs[-KEEP_RECORDS:]).model_dump_json(indent=1).encode()
    write_atomic(backup_dir / RUNLOG_NAME, body)


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
        error=redact(one_line(error)) if error else error,
        summary=redact(summary),
    )
    try:
        append_run(backup_dir, record)
    except (RunLogUnreadable, OSError) as exc:
        # The run itself succeeded or failed on its own merits; a log that cannot be written
        # is reported, never allowed to turn a complete backup into a failed one.
        # A failed run already printed its one error line (the log write failed for the same
        # reason, usually a full disk): a second line would only repeat it.
        logger.log(logging.WARNING if ok else logging.DEBUG, "run not recorded: %s", exc)
    return record


def last_run(runs: list[RunRecord], kind: RunKind, *, ok: bool | None = None) -> RunRecord | None:
    """The newest record of `kind` (and outcome) among `runs`, as read by read_runs."""
    for record in reversed(runs):
        if record.kind is kind and (ok is None or record.ok is ok):
            return record
    return None


def verified_at(runs: list[RunRecord], kind: RunKind = RunKind.VERIFY) -> dict[str, datetime]:
    """When each backup last passed verification (`kind`: RunKind.REMOTE_VERIFY for remote)."""
    seen: dict[str, datetime] = {}
    for record in runs:
        if record.kind is kind and record.ok and record.backup_id:
            seen[record.backup_id] = record.finished_at
    return seen
