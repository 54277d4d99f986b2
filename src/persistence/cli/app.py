"""The Typer application every command module registers on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import typer

from persistence import TOOL_NAME, __version__
from persistence.cli.common import fail, setup_logging
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
        typer.echo(f"{TOOL_NAME} {__version__}")
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


def guarded(debug: bool, action: Callable[[], int]) -> None:
    """Run a command body: expected failures become one line, bugs a hint to use --debug."""
    setup_logging(debug)
    try:
        code = action()
    except typer.Exit:
        raise
    except BackupError as exc:
        if debug:
            logger.exception("failed")
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted; nothing was committed", ExitCode.FAILED)
    except Exception as exc:
        if debug:
            raise
        fail(f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
    raise typer.Exit(code)
