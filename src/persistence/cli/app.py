"""The Typer application every command module registers on."""

from __future__ import annotations

import logging
from collections.abc import Callable

import typer

from persistence.cli.common import fail, setup_logging
from persistence.core.errors import BackupError, ExitCode

app = typer.Typer(
    name="backup",
    help="Back up, verify and restore an app's local state and its Qdrant collections.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

logger = logging.getLogger("persistence.cli")


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
