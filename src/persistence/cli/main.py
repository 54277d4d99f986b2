"""The entry point: it loads and builds only the command asked for.

Typer builds a Click command (signatures, type hints, one pydantic adapter per option) for
every command it holds, at every start; with all thirteen that took tens of milliseconds
before any work began (start-up budget of 0.3 s, issue 12). `--help`, an unknown command and
the tests get the whole application.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import typer

from persistence.cli.app import app, failed, new_app

# Every command and the module that registers it, in the order `--help` lists them (everyday
# first). tests/engine/test_entry_point.py checks it against what the modules register.
COMMAND_MODULES: dict[str, str] = {
    "create-backup": "backup_commands",
    "list-backups": "backup_commands",
    "verify-backup": "verify_commands",
    "restore-backup": "restore_commands",
    "ls-backup": "browse_commands",
    "diff-backups": "browse_commands",
    "prune-backups": "backup_commands",
    "status": "schedule_commands",
    "push-backup": "remote_commands",
    "pull-backup": "remote_commands",
    "snapshot": "restore_commands",
    "sample-data": "backup_commands",
    "schedule": "schedule_commands",
}
_ORDER = list(COMMAND_MODULES)


def _load(module: str) -> None:
    importlib.import_module(f"persistence.cli.{module}")


def full_app() -> typer.Typer:
    """The application with every command registered, listed in help order."""
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        _load(module)
    app.registered_commands.sort(
        key=lambda command: _ORDER.index(command.name) if command.name in _ORDER else len(_ORDER)
    )
    return app


def app_for(argv: Sequence[str]) -> typer.Typer:
    """An application holding only the command `argv` names, else the whole application."""
    name = argv[0] if argv else None
    if name not in COMMAND_MODULES:
        return full_app()
    _load(COMMAND_MODULES[name])
    single = new_app()
    single.registered_callback = app.registered_callback
    single.registered_commands = [c for c in app.registered_commands if c.name == name]
    single.registered_groups = [g for g in app.registered_groups if g.name == name]
    return single


def run_app(argv: Sequence[str]) -> int:
    """Run the CLI. A usage error (unknown flag, bad value) is one line on stderr, and under
    --json also a document, like every other failure."""
    chosen = app_for(argv)
    json_output = "--json" in argv
    try:
        result = chosen(args=list(argv), standalone_mode=False)
    except typer.TyperException as exc:
        message = exc.format_message()
        if message.startswith("Usage:"):  # a group called without its command: its help
            typer.echo(message, err=True)
            return exc.exit_code
        command = f"{argv[0]} " if argv and argv[0] in COMMAND_MODULES else ""
        hint = f"; see {command}--help" if exc.exit_code == 2 else ""
        raise failed(f"{message.rstrip('.')}{hint}", exc.exit_code, json_output) from None
    except typer.Abort:
        raise failed("interrupted; nothing was committed", 1, json_output) from None
    return result if isinstance(result, int) else 0


def main() -> None:
    # pydantic looks for plugins in every installed distribution's entry points the first time
    # a model is built (tens of ms at each start-up); this tool uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        code = run_app(sys.argv[1:])
    except typer.Exit as exc:
        code = exc.exit_code
    sys.exit(code)
