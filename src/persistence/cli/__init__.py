"""Command-line shell over the service: `uv run scripts/backup.py COMMAND`."""

from persistence.cli import backup_commands as backup_commands
from persistence.cli import browse_commands as browse_commands
from persistence.cli import remote_commands as remote_commands
from persistence.cli import restore_commands as restore_commands
from persistence.cli import schedule_commands as schedule_commands
from persistence.cli import verify_commands as verify_commands
from persistence.cli.app import app, main

# `--help` lists commands in this order (everyday first), not in the order modules loaded.
HELP_ORDER = (
    "create-backup",
    "list-backups",
    "verify-backup",
    "restore-backup",
    "ls-backup",
    "diff-backups",
    "prune-backups",
    "status",
    "push-backup",
    "pull-backup",
    "snapshot",
    "sample-data",
)
app.registered_commands.sort(
    key=lambda command: (
        HELP_ORDER.index(command.name) if command.name in HELP_ORDER else len(HELP_ORDER)
    )
)

__all__ = ["app", "main"]
