"""Each backup's last verification verdict, read from the run log: ok, damaged, or never."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from persistence.store.runlog import RunKind, RunRecord


class VerifyState(StrEnum):
    OK = "ok"
    DAMAGED = "damaged"  # the last verification of this backup failed
    NEVER = "never"


@dataclass(frozen=True)
class LastVerify:
    state: VerifyState
    at: datetime | None


NEVER_VERIFIED = LastVerify(VerifyState.NEVER, None)


def last_verifications(runs: list[RunRecord]) -> dict[str, LastVerify]:
    """backup id -> the verdict of its newest verification (runs are oldest first).

    A verification that could not run (a lock, a bad flag) names no backup and so counts
    for none.
    """
    seen: dict[str, LastVerify] = {}
    for record in runs:
        if record.kind is RunKind.VERIFY and record.backup_id:
            state = VerifyState.OK if record.ok else VerifyState.DAMAGED
            seen[record.backup_id] = LastVerify(state, record.finished_at)
    return seen
