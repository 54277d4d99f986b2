"""Saving the current state aside before a restore, as a real backup named pre-restore_<ts>.

It is captured by the very components and staging/commit machinery of create-backup, so it
has a signed manifest, verify-backup checks it, and `restore-backup pre-restore_<ts>` undoes
the restore. Retention only ever considers backup_* folders, so it never deletes these.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

from persistence import __version__
from persistence.backup_run import build_components, describe_os_error
from persistence.catalog import PRE_RESTORE_PREFIX, new_backup_id
from persistence.components.base import BackupComponent, CaptureContext
from persistence.errors import BackupError, ComponentError
from persistence.manifest import ComponentRecord, Manifest
from persistence.paths import SafePaths
from persistence.progress import ProgressCallback, ProgressEvent, ProgressStage
from persistence.qdrant.component import ServerComponent
from persistence.restore.models import RestorePlan
from persistence.settings import BackupSettings
from persistence.staging import commit, open_staging, remove_tree
from persistence.verify_checks import QDRANT_COMPONENT


def _components(
    settings: BackupSettings, paths: SafePaths, plan: RestorePlan
) -> list[BackupComponent]:
    touched = {c.name for c in plan.components if c.changes}
    chosen = [
        c
        for c in build_components(settings, paths, skip_qdrant=True)
        if c.name in touched and c.name != QDRANT_COMPONENT
    ]
    qdrant = plan.component(QDRANT_COMPONENT)
    if qdrant is None or not qdrant.changes:
        return chosen
    if settings.qdrant_url:
        # Only the collections about to be replaced: the ones that do not exist yet have
        # nothing to save (undo leaves a collection it did not know about in place).
        replaced = [c.name for c in qdrant.collections if c.action == "replace"]
        if replaced:
            narrowed = settings.model_copy(update={"qdrant_collections": ",".join(replaced)})
            chosen.append(ServerComponent(settings=narrowed))
    else:
        chosen += [
            c
            for c in build_components(settings, paths, skip_qdrant=False)
            if c.name == QDRANT_COMPONENT
        ]
    return chosen


def save_current_state(
    settings: BackupSettings, paths: SafePaths, plan: RestorePlan, progress: ProgressCallback
) -> str:
    """Capture every component the plan changes into pre-restore_<ts>; return its id."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    undo_id = new_backup_id(paths.backup_dir, prefix=PRE_RESTORE_PREFIX)
    progress(ProgressEvent(ProgressStage.MESSAGE, message=f"saving the current state as {undo_id}"))
    staging = open_staging(paths.backup_dir, undo_id)
    try:
        records: list[ComponentRecord] = []
        for component in _components(settings, paths, plan):
            ctx = CaptureContext(target_dir=staging / component.name, progress=progress)
            try:
                records.append(component.capture(ctx))
            except OSError as exc:
                raise ComponentError(describe_os_error(exc, component.name)) from exc
        manifest = Manifest(
            tool_version=__version__,
            backup_id=undo_id,
            host=socket.gethostname(),
            started_at=started,
            finished_at=datetime.now(UTC),
            duration_seconds=time.monotonic() - clock,
            settings=settings.redacted(),
            components=records,
            warnings=[w for r in records for w in r.warnings],
        )
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
    return undo_id
