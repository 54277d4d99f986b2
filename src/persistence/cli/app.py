"""The Typer application every command module registers on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import typer

from persistence import TOOL_NAME, tool_version
from persistence.cli import output
from persistence.cli.common import error_line, setup_logging
from persistence.core.errors import BackupError, ExitCode


def new_app() -> typer.Typer:
    """The root application as every command sees it (the entry point may build one that holds
    a single command; see persistence.cli.main)."""
    return typer.Typer(
        name="backup",
        help="Back up, verify and restore an app's local state and its Qdrant collections.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


app = new_app()

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


def failed(message: str, code: int, json_output: bool) -> typer.Exit:
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
        raise failed(exc.message, int(exc.exit_code), json_output) from None
    except KeyboardInterrupt:
        raise failed("interrupted; nothing was committed", 1, json_output) from None
    except Exception as exc:
        if debug:
            raise
        message = f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
        raise failed(message, int(ExitCode.FAILED), json_output) from None
    raise typer.Exit(code)
