"""create-backup, then a push of the new backup when asked.

Apart from the pull-then-restore flows so that a create that pushes nothing loads none of the
remote and restore code (start-up time, issue 12).
"""

from __future__ import annotations

from typing import Unpack

from persistence.backup.create import CreateOptions, create_backup
from persistence.core.errors import ExitCode
from persistence.core.progress import ignore_progress
from persistence.core.results import CreateResult
from persistence.core.settings import BackupSettings


def create_and_push(
    settings: BackupSettings, *, push: bool = False, **options: Unpack[CreateOptions]
) -> CreateResult:
    """create-backup, then (with --push or BACKUP_PUSH_AFTER_CREATE) push the new backup.

    A failed push fails the command, but the local backup stays complete and listed. That
    includes a missing remote (exit 2): a scheduled run whose BACKUP_REMOTE lived only in the
    installing shell, or BACKUP_PUSH_AFTER_CREATE left on after the remote was removed, must
    not stop the local backups too.
    """
    wanted = push or settings.push_after_create
    result = create_backup(settings, **options)
    if not wanted or not result.ok:
        return result
    from persistence.offsite import commands  # the remote clients: only when pushing

    progress = options.get("progress", ignore_progress)
    pushed = commands.push(settings, result.backup_id, progress=progress)
    update: dict[str, object] = {"remote": pushed.summary()}
    if not pushed.ok:
        update |= {
            "ok": False,
            "exit_code": pushed.exit_code or int(ExitCode.FAILED),
            "error": f"backup {result.backup_id} is complete here, but the push failed: "
            f"{pushed.error}",
        }
    return result.model_copy(update=update)
