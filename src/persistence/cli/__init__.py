"""Command-line shell over the service: `uv run scripts/backup.py COMMAND`.

Importing the package loads no command: `persistence.cli.main` loads the one asked for.
"""

from persistence.cli.main import full_app, main

__all__ = ["full_app", "main"]
