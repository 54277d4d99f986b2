"""The Typer application every command module registers on."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import NoReturn

import typer
from pydantic import BaseModel

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


class FailureDocument(BaseModel):
    """The one JSON document a command prints when it fails before its service answers."""

    ok: bool = False
    error: str
    exit_code: int


def guarded(debug: bool, action: Callable[[], int], *, json_output: bool = False) -> None:
    """Run a command body: expected failures become one line, bugs a hint to use --debug.

    With --json a failure that escapes the body (bad usage, bad settings, an unset remote) still
    prints exactly one JSON document on stdout, so scripts never parse an empty output.
    """
    setup_logging(debug)
    try:
        code = action()
    except typer.Exit:
        raise
    except BackupError as exc:
        if debug:
            logger.exception("failed")
        _fail(exc.message, int(exc.exit_code), json_output)
    except KeyboardInterrupt:
        _fail("interrupted; nothing was committed", int(ExitCode.FAILED), json_output)
    except Exception as exc:
        if debug:
            raise
        message = f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
        _fail(message, int(ExitCode.FAILED), json_output)
    raise typer.Exit(code)


def _fail(message: str, code: int, json_output: bool) -> NoReturn:
    if json_output:
        document = FailureDocument(error=message, exit_code=code)
        sys.stdout.write(document.model_dump_json(indent=2) + "\n")
    fail(message, code)
