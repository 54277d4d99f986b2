"""Typed results of the remote commands; also their `--json` contract."""

from __future__ import annotations

from pydantic import Field

from persistence.core.results import PruneResult, RemotePush, RunResult
from persistence.offsite.verify import FailedObject


class PushRunResult(RunResult):
    remote: str | None = None
    pushed: bool = False
    backup_ids: list[str] = Field(default_factory=lambda: list[str]())
    objects_sent: int = 0
    bytes_sent: int = 0
    objects_skipped: int = 0
    prune: PruneResult | None = None

    def summary(self) -> RemotePush:
        return RemotePush(
            remote=self.remote,
            pushed=self.pushed,
            backup_ids=self.backup_ids,
            objects_sent=self.objects_sent,
            bytes_sent=self.bytes_sent,
            objects_skipped=self.objects_skipped,
            error=self.error,
            prune=self.prune,
        )


class PullRunResult(RunResult):
    remote: str | None = None
    backup_id: str | None = None
    path: str | None = None
    pulled: bool = False
    objects_received: int = 0
    bytes_received: int = 0
    message: str = ""


class RemoteVerifyResult(RunResult):
    remote: str | None = None
    backup_id: str | None = None
    deep: bool = False
    objects_checked: int = 0
    objects_without_service_checksum: int = 0
    failed_objects: list[FailedObject] = Field(default_factory=lambda: list[FailedObject]())


class RemotePruneResult(PruneResult):
    remote: str | None = None
