"""The remote commands, each through the one run wrapper: lock, leftovers, run, run log.

push and pull hold the local backup lock, so no prune deletes a backup being pushed and no
create sees a pull half done. Listing reads only and takes no lock.
"""

from __future__ import annotations

from pathlib import Path

from persistence.core.errors import ConfigError, VerificationError
from persistence.core.paths import check_paths
from persistence.core.progress import ProgressCallback, ignore_progress
from persistence.core.settings import BackupSettings
from persistence.monitoring.status import RemoteNewest
from persistence.offsite.listing import (
    RemoteBackup,
    RemoteBackupSummary,
    find_remote,
    scan_remote,
    summarize_remote,
)
from persistence.offsite.overview import remote_overview
from persistence.offsite.prune import prune_remote
from persistence.offsite.pull import pull_backup
from persistence.offsite.push import push_backup
from persistence.offsite.results import (
    PullRunResult,
    PushRunResult,
    RemotePruneResult,
    RemoteVerifyResult,
)
from persistence.offsite.verify import RemoteVerifyReport, verify_remote
from persistence.remote.base import Remote
from persistence.remote.retry import RetryPolicy
from persistence.remote.target import open_remote, require_target
from persistence.retention.policy import RetentionPolicy
from persistence.runs.wrapper import Command, LogEntry, MissingRoot, RunScope, run_command
from persistence.store.catalog import CompleteBackup, find_backup, scan_backups
from persistence.store.runlog import RunKind, read_runs, verified_at

POLICY = RetryPolicy()


def connect(settings: BackupSettings) -> Remote:
    """The configured remote; ConfigError (exit 2) when unset or malformed."""
    return open_remote(require_target(settings.remote), POLICY)


def remote_policy(settings: BackupSettings) -> RetentionPolicy:
    keep = settings.remote_keep_last
    return RetentionPolicy(
        keep_last=keep if keep is not None else settings.keep_last,
        keep_within_days=settings.remote_retention_days,
    )


def list_remote(settings: BackupSettings) -> list[RemoteBackupSummary]:
    """The remote's backups, oldest first; reads only (no lock, no run record)."""
    remote = connect(settings)
    runs = read_runs(check_paths(settings).backup_dir)
    verified = verified_at(runs, RunKind.REMOTE_VERIFY)
    return [summarize_remote(remote, b, verified.get(b.backup_id)) for b in scan_remote(remote)]


def remote_newest(settings: BackupSettings) -> RemoteNewest | None:
    """For `status`: the newest complete remote backup (None when no remote is configured).

    A quick look that never raises: an unreachable remote is reported in `error` within
    seconds instead of failing `status` (and every Nagios check built on it) after the long
    retries a transfer deserves.
    """
    if settings.remote is None:
        return None
    overview = remote_overview(settings)
    newest = overview.newest
    return RemoteNewest(
        remote=overview.remote,
        backup_id=newest.backup_id if newest else None,
        created_at=newest.created_at if newest else None,
        error=overview.error,
    )


def push(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    every: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> PushRunResult:
    """push-backup: one backup (default the newest), or --all not yet complete on the remote."""

    def body(scope: RunScope) -> PushRunResult:
        remote = connect(settings)
        chosen = _to_push(remote, scope.paths.backup_dir, backup_id, every)
        result = PushRunResult(ok=True, remote=remote.display, pushed=True)
        for backup in chosen:
            one = push_backup(remote, backup, scope.progress)
            result.backup_ids.append(one.backup_id)
            result.objects_sent += one.objects_sent
            result.bytes_sent += one.bytes_sent
            result.objects_skipped += one.objects_skipped
        result.prune = RemotePruneResult(
            **prune_remote(remote, remote_policy(settings), dry_run=False).model_dump(),
            remote=remote.display,
        )
        return result

    def log(result: PushRunResult) -> list[LogEntry]:
        summary = (
            f"to {result.remote}: sent {result.objects_sent} objects ({result.bytes_sent} bytes), "
            f"skipped {result.objects_skipped}"
        )
        ids = result.backup_ids or [backup_id]
        return [
            LogEntry(ok=result.ok, backup_id=i, error=result.error, summary=summary) for i in ids
        ]

    command = Command(
        label="push-backup",
        kind=RunKind.PUSH,
        failed=lambda message, code: PushRunResult(ok=False, error=message, exit_code=code),
        log=log,
        missing_root=MissingRoot.UNLOCKED,
    )
    return run_command(settings, command, body, progress=progress)


def _to_push(
    remote: Remote, backup_dir: Path, backup_id: str | None, every: bool
) -> list[CompleteBackup]:
    if not every:
        return [find_backup(backup_dir, backup_id, latest=backup_id is None)]
    done = {b.backup_id for b in scan_remote(remote) if b.complete}
    return [b for b in scan_backups(backup_dir).complete if b.backup_id not in done]


def pull(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    progress: ProgressCallback = ignore_progress,
) -> PullRunResult:
    """pull-backup: the named or newest complete remote backup into the local root."""

    def body(scope: RunScope) -> PullRunResult:
        remote = connect(settings)
        found = pick_remote(remote, backup_id)
        if found is None:
            return PullRunResult(
                ok=True, remote=remote.display, message=f"no complete backup on {remote.display}"
            )
        done = pull_backup(remote, scope.paths.backup_dir, found, POLICY, scope.progress)
        return PullRunResult(ok=True, remote=remote.display, **done.model_dump())

    def log(result: PullRunResult) -> list[LogEntry]:
        if result.ok and not result.pulled:
            return []
        summary = f"from {result.remote}: {result.objects_received} objects"
        return [
            LogEntry(ok=result.ok, backup_id=result.backup_id, error=result.error, summary=summary)
        ]

    command = Command(
        label="pull-backup",
        kind=RunKind.PULL,
        failed=lambda message, code: PullRunResult(
            ok=False, backup_id=backup_id, error=message, exit_code=code
        ),
        log=log,
    )
    return run_command(settings, command, body, progress=progress)


def pick_remote(remote: Remote, backup_id: str | None) -> RemoteBackup | None:
    """The named complete remote backup, or the newest, or None.

    A named backup that is there but incomplete failed verification (exit 4, with the reason);
    one that is not there at all is a usage error (exit 2).
    """
    listed = scan_remote(remote)
    found = find_remote(listed, backup_id)
    if found is None and backup_id is not None:
        broken = next((b for b in listed if b.backup_id == backup_id), None)
        if broken is not None:
            raise VerificationError(
                f"{backup_id} on {remote.display} is incomplete: {broken.problem}"
            )
        raise ConfigError(
            f"no complete backup {backup_id} on {remote.display}; see list-backups --remote"
        )
    return found


def verify(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    deep: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> RemoteVerifyResult:
    """verify-backup --remote: sizes and stored checksums, or --deep downloads and re-hashes."""

    def body(scope: RunScope) -> RemoteVerifyResult:
        remote = connect(settings)
        found = pick_remote(remote, backup_id)
        if found is None:
            raise ConfigError(f"no complete backup on {remote.display}")
        report = verify_remote(
            remote,
            found,
            deep=deep,
            scratch_dir=scope.paths.backup_dir,
            policy=POLICY,
            progress=scope.progress,
        )
        return _verify_result(report)

    def log(result: RemoteVerifyResult) -> list[LogEntry]:
        summary = f"on {result.remote}: {result.objects_checked} objects{' (deep)' if deep else ''}"
        return [
            LogEntry(ok=result.ok, backup_id=result.backup_id, error=result.error, summary=summary)
        ]

    command = Command(
        label="verify-backup --remote",
        kind=RunKind.REMOTE_VERIFY,
        failed=lambda message, code: RemoteVerifyResult(
            ok=False, backup_id=backup_id, error=message, exit_code=code
        ),
        log=log,
    )
    return run_command(settings, command, body, progress=progress)


def _verify_result(report: RemoteVerifyReport) -> RemoteVerifyResult:
    first = report.failed_objects[0] if report.failed_objects else None
    return RemoteVerifyResult(
        ok=report.ok,
        error=None if first is None else f"{first.key}: {first.problem}",
        exit_code=report.exit_code,
        remote=report.remote,
        backup_id=report.backup_id,
        deep=report.deep,
        objects_checked=report.objects_checked,
        objects_without_service_checksum=report.objects_without_service_checksum,
        failed_objects=report.failed_objects,
    )


def prune(settings: BackupSettings, *, dry_run: bool = False) -> RemotePruneResult:
    """prune-backups --remote: retention on the remote with its own rules."""

    def body(_scope: RunScope) -> RemotePruneResult:
        remote = connect(settings)
        result = prune_remote(remote, remote_policy(settings), dry_run=dry_run)
        return RemotePruneResult(**result.model_dump(), remote=remote.display)

    def log(result: RemotePruneResult) -> list[LogEntry]:
        if dry_run:
            return []
        summary = f"on {result.remote}: deleted {len(result.deleted)}, kept {len(result.kept)}"
        return [LogEntry(ok=result.ok, error=result.error, summary=summary)]

    command = Command(
        label="prune-backups --remote",
        kind=RunKind.REMOTE_PRUNE,
        failed=lambda message, code: RemotePruneResult(
            ok=False, dry_run=dry_run, error=message, exit_code=code
        ),
        log=log,
        missing_root=MissingRoot.UNLOCKED,
    )
    return run_command(settings, command, body)
