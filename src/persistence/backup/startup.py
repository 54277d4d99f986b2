"""Qdrant snapshots at app start (`QDRANT_SNAPSHOT_ON_START`) and on demand (`snapshot`).

The split of failures is deliberate: a snapshot folder that cannot be created or written is a
deployment mistake, so it raises at start where someone sees it; a Qdrant that is down or
failing must not stop the app, so it becomes a `failed` status and a log line.
The download itself is the Qdrant engine's (create, stream + verify, delete on the server).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from persistence.core.errors import BackupError, ConfigError, ExitCode
from persistence.core.fsio import sync_filesystem
from persistence.core.paths import SafePaths, check_paths
from persistence.core.results import RunResult
from persistence.core.settings import BackupSettings, load_settings
from persistence.qdrant import copy_embedded
from persistence.qdrant.capture import ServerSession, open_server
from persistence.qdrant.names import validate_collection_name
from persistence.qdrant.snapshots import fetch_snapshot
from persistence.runs.wrapper import Command, LogEntry, MissingRoot, RunScope, run_command
from persistence.store.runlog import RunKind

logger = logging.getLogger(__name__)

SnapshotState = Literal["completed", "failed", "skipped"]


class SnapshotStatus(BaseModel):
    target: str
    status: SnapshotState
    path: str | None = None
    bytes: int = 0
    sha256: str | None = None
    duration_seconds: float = 0.0
    error: str | None = None


class SnapshotReport(RunResult):
    enabled: bool = True
    directory: str | None = None
    targets: list[SnapshotStatus] = Field(default_factory=lambda: list[SnapshotStatus]())


def snapshot_directory(settings: BackupSettings) -> Path:
    """QDRANT_SNAPSHOT_DIR, checked, created if needed and proven writable; ConfigError else."""
    if settings.qdrant_snapshot_dir is None:
        raise ConfigError("QDRANT_SNAPSHOT_DIR is not set: say where the snapshots go")
    folder = check_paths(settings, data_root_must_exist=False).qdrant_snapshot_dir
    assert folder is not None
    probe = folder / f".write-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"QDRANT_SNAPSHOT_DIR {folder} cannot be created or written: {exc.strerror or exc}"
        ) from None
    return folder


def take_snapshots(
    settings: BackupSettings, paths: SafePaths, directory: Path
) -> list[SnapshotStatus]:
    """One status per target; Qdrant failures become `failed` statuses, never exceptions."""
    if len(settings.qdrant_urls()) > 1:
        message = "start-up snapshots of a cluster are not supported: use create-backup"
        return [SnapshotStatus(target="qdrant", status="skipped", error=message)]
    if settings.qdrant_url:
        return _server_snapshots(settings, settings.qdrant_url, directory)
    folder = paths.qdrant_path
    if folder is not None:
        return [_embedded_snapshot(folder, directory)]
    return [SnapshotStatus(target="qdrant", status="skipped", error="Qdrant is not configured")]


def _server_snapshots(settings: BackupSettings, url: str, directory: Path) -> list[SnapshotStatus]:
    # open_server deletes what earlier runs left on the server (the snapshot journal).
    with open_server(settings, url) as session:
        client = session.client
        clock = time.monotonic()
        try:
            client.require_single_node("snapshot each node separately")
            names = settings.collection_names() or client.list_collections()
        except BackupError as exc:
            logger.error("qdrant snapshot: %s", exc.message)
            return [_failed("qdrant", exc.message, clock)]
        return [_one_collection(settings, session, name, directory) for name in names]


def _one_collection(
    settings: BackupSettings, session: ServerSession, name: str, directory: Path
) -> SnapshotStatus:
    clock = time.monotonic()
    try:
        validate_collection_name(name)
        got = fetch_snapshot(
            session.client,
            name,
            directory / name,
            poll_for=settings.qdrant_snapshot_deadline,
            deadline_seconds=settings.qdrant_download_deadline,
            delete_server_copy=settings.qdrant_delete_server_snapshot,
            journal=session.journal,
        ).downloaded
    except (BackupError, OSError) as exc:
        message = exc.message if isinstance(exc, BackupError) else f"{name}: {exc}"
        logger.error("qdrant snapshot: %s", message)
        return _failed(name, message, clock)
    return SnapshotStatus(
        target=name,
        status="completed",
        path=str(got.path),
        bytes=got.size,
        sha256=got.sha256,
        duration_seconds=time.monotonic() - clock,
    )


def _embedded_snapshot(folder: Path, directory: Path) -> SnapshotStatus:
    clock = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S_%fZ")
    target = directory / f"embedded-{stamp}"
    try:
        copied = copy_embedded(folder, target)
        # No commit follows a start-up snapshot: make the copied files durable here.
        sync_filesystem(target)
    except (BackupError, OSError) as exc:
        message = exc.message if isinstance(exc, BackupError) else str(exc)
        logger.error("qdrant snapshot: %s", message)
        return _failed("embedded", message, clock)
    return SnapshotStatus(
        target="embedded",
        status="completed",
        path=str(target),
        bytes=copied.bytes,
        duration_seconds=time.monotonic() - clock,
    )


def _failed(target: str, message: str, clock: float) -> SnapshotStatus:
    return SnapshotStatus(
        target=target, status="failed", error=message, duration_seconds=time.monotonic() - clock
    )


def _snapshot_log(report: SnapshotReport) -> list[LogEntry]:
    failed = [t.target for t in report.targets if t.status == "failed"]
    return [
        LogEntry(
            ok=report.ok,
            error=f"failed: {', '.join(failed)}" if failed else None,
            summary=f"{len(report.targets)} target(s) into {report.directory}",
        )
    ]


def snapshot_now(settings: BackupSettings) -> SnapshotReport:
    """The `snapshot` command: never raises for expected failures.

    It holds the backup lock (a short wait: an app must not hang at start behind a long
    backup), so a start-up snapshot and a backup of the same data root never overlap.
    """
    directories: list[Path] = []

    def check_directory(paths: SafePaths) -> SnapshotReport | None:
        del paths
        directories.append(snapshot_directory(settings))
        return None

    def body(scope: RunScope) -> SnapshotReport:
        targets = take_snapshots(settings, scope.paths, directories[0])
        ok = all(t.status != "failed" for t in targets)
        return SnapshotReport(
            ok=ok,
            directory=str(directories[0]),
            targets=targets,
            error=None if ok else "; ".join(t.error or t.target for t in targets if t.error),
            exit_code=0 if ok else int(ExitCode.FAILED),
        )

    command = Command(
        label="snapshot",
        kind=RunKind.SNAPSHOT,
        failed=lambda message, code: SnapshotReport(ok=False, error=message, exit_code=code),
        log=_snapshot_log,
        missing_root=MissingRoot.UNLOCKED,
        lock_timeout=min(settings.lock_timeout, 2.0),
        before_lock=check_directory,
        needs_data_root=False,
    )
    return run_command(settings, command, body)


_once_lock = threading.Lock()
_once_report: SnapshotReport | None = None


def snapshot_on_start(settings: BackupSettings | None = None) -> SnapshotReport:
    """Call once when the app starts; later calls in the same process return the first report.

    Disabled unless QDRANT_SNAPSHOT_ON_START is truthy. Raises ConfigError when the snapshot
    folder cannot be created or written (fail loudly at start); a Qdrant failure is logged
    and reported as a `failed` target, and the app goes on.
    """
    global _once_report
    with _once_lock:
        if _once_report is not None:
            return _once_report
        chosen = settings if settings is not None else load_settings()
        if not chosen.qdrant_snapshot_on_start:
            report = SnapshotReport(ok=True, enabled=False)
        else:
            snapshot_directory(chosen)  # raises: a broken folder must stop the start
            report = snapshot_now(chosen)
            for target in report.targets:
                logger.info("qdrant snapshot on start: %s %s", target.target, target.status)
        _once_report = report
        return report


def forget_start_snapshot() -> None:
    """Let the next `snapshot_on_start` run again (tests, or an app that re-initialises)."""
    global _once_report
    with _once_lock:
        _once_report = None
