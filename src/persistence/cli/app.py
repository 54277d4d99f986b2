"""The Typer application every command module registers on."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Annotated

import typer

from persistence import TOOL_NAME, tool_version
from persistence.cli import output
from persistence.cli.common import error_line, setup_logging
from persistence.core.errors import BackupError, ExitCode

app = typer.Typer(
    name="backup",
    help="Back up, verify and restore an app's local state and its Qdrant collections.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

logger = logging.getLogger("persistence.cli")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{TOOL_NAME} {tool_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Back up, verify and restore an app's local state and its Qdrant collections."""


def _failed(message: str, code: int, json_output: bool) -> typer.Exit:
    """One error line on stderr, and under --json the one document on stdout."""
    if json_output:
        output.print_failure_document(message, code)
    error_line(message)
    return typer.Exit(code)


def guarded(debug: bool, action: Callable[[], int], json_output: bool = False) -> None:
    """Run a command body: expected failures become one line, bugs a hint to use --debug."""
    setup_logging(debug)
    try:
        code = action()
    except typer.Exit:
        raise
    except BackupError as exc:
        if debug:
            logger.exception("failed")
        raise _failed(exc.message, int(exc.exit_code), json_output) from None
    except KeyboardInterrupt:
        raise _failed("interrupted; nothing was committed", 1, json_output) from None
    except Exception as exc:
        if debug:
            raise
        message = f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
        raise _failed(message, int(ExitCode.FAILED), json_output) from None
    raise typer.Exit(code)


def run_app(argv: Sequence[str]) -> int:
    """Run the CLI; under --json even a usage error (unknown flag, bad value) is a document."""
    if "--json" not in argv:
        app()
        return 0
    try:
        result = app(args=list(argv), standalone_mode=False)
    except typer.TyperException as exc:  # Typer's usage errors: unknown flag, bad value
        code = exc.exit_code
        command = argv[0] if argv and not argv[0].startswith("-") else ""
        hint = f"; see {command} --help".replace("  ", " ") if code == ExitCode.USAGE else ""
        raise _failed(f"{exc.format_message()}{hint}", code, json_output=True) from None
    except typer.Abort:
        raise _failed("interrupted; nothing was committed", 1, json_output=True) from None
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
