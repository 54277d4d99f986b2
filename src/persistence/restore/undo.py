"""Saving the current state aside before a restore, as a real backup named pre-restore_<ts>.

It is captured by the very components and staging/commit machinery of create-backup, so it
has a signed manifest, verify-backup checks it, and `restore-backup pre-restore_<ts>` undoes
the restore. Retention only ever considers backup_* folders, so it never deletes these.

Each kind decides what its undo copy keeps (`Component.save_before_restore`): every file
component the plan changes whatever the include flags say, a damaged live database as a raw
byte copy, and only the Qdrant collections about to be replaced.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from persistence import tool_version
from persistence.components.base import CaptureContext
from persistence.components.databases_restore import RAW_COPY_METHOD
from persistence.components.registry import component_for
from persistence.core.errors import BackupError, ComponentError, describe_os_error
from persistence.core.paths import SafePaths
from persistence.core.progress import ProgressCallback, ProgressEvent, ProgressStage
from persistence.core.settings import BackupSettings
from persistence.restore.models import RestorePlan
from persistence.store.catalog import PRE_RESTORE_PREFIX, CompleteBackup, new_backup_id
from persistence.store.manifest import ComponentRecord, Manifest
from persistence.store.reuse import LinkState, Reuse, make_read_only
from persistence.store.staging import commit, open_staging, remove_tree


@dataclass(frozen=True)
class SavedState:
    """The pre-restore backup's id and what the restore's result must say about it."""

    undo_id: str
    warnings: list[str] = field(default_factory=lambda: [])


def _save_components(
    settings: BackupSettings,
    paths: SafePaths,
    plan: RestorePlan,
    backup: CompleteBackup,
    staging_root: CaptureContext,
) -> list[ComponentRecord]:
    records: list[ComponentRecord] = []
    reuse = Reuse(backup, rehash=False, state=LinkState())
    for step in plan.components:
        if not step.changes:
            continue
        component = component_for(step.name, backup.manifest.component(step.name), settings, paths)
        assert component is not None  # the plan only has steps for known components
        # Linked from the backup being restored: a live file untouched since that backup
        # (same inode, ctime, mtime, size) costs a hard link, not a copy.
        ctx = CaptureContext(staging_root.target_dir / step.name, staging_root.progress, reuse)
        try:
            record = component.save_before_restore(step, ctx)
        except OSError as exc:
            raise ComponentError(describe_os_error(exc, step.name)) from exc
        if record is not None:
            records.append(record)
    return records


def save_current_state(
    settings: BackupSettings,
    paths: SafePaths,
    plan: RestorePlan,
    backup: CompleteBackup,
    progress: ProgressCallback,
) -> SavedState:
    """Capture every component the plan changes into pre-restore_<ts>."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    undo_id = new_backup_id(paths.backup_dir, prefix=PRE_RESTORE_PREFIX)
    progress(ProgressEvent(ProgressStage.MESSAGE, message=f"saving the current state as {undo_id}"))
    staging = open_staging(paths.backup_dir, undo_id)
    try:
        records = _save_components(settings, paths, plan, backup, CaptureContext(staging, progress))
        manifest = Manifest(
            tool_version=tool_version(),
            backup_id=undo_id,
            host=socket.gethostname(),
            started_at=started,
            finished_at=datetime.now(UTC),
            duration_seconds=time.monotonic() - clock,
            settings=settings.redacted(),
            components=records,
            warnings=[w for r in records for w in r.warnings],
        )
        make_read_only(staging)
        commit(staging, paths.backup_dir / undo_id, manifest)
    except BackupError as exc:
        remove_tree(staging)
        raise ComponentError(
            f"cannot save the current state before restoring, so nothing was restored: "
            f"{exc.message}"
        ) from None
    except BaseException:
        remove_tree(staging)
        raise
    return SavedState(
        undo_id, [w for r in records if r.method == RAW_COPY_METHOD for w in r.warnings]
    )
