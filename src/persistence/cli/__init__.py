"""Command-line shell over the service: `uv run scripts/backup.py COMMAND`."""

from persistence.cli import backup_commands as backup_commands
from persistence.cli import browse_commands as browse_commands
from persistence.cli import remote_commands as remote_commands
from persistence.cli import restore_commands as restore_commands
from persistence.cli import schedule_commands as schedule_commands
from persistence.cli.app import app, main

__all__ = ["app", "main"]
