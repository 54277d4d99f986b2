"""What every command shares: settings from flags, one-line errors, JSON, terminal progress."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, Protocol, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from persistence.cli import output
from persistence.core.errors import ConfigError, ExitCode
from persistence.core.progress import ProgressCallback, ignore_progress
from persistence.core.redact import one_line

if TYPE_CHECKING:
    # Loaded where used: `--help` and argument errors never pay for pydantic or rich's bars.
    from pydantic import BaseModel

    from persistence.cli.progress import TerminalProgress
    from persistence.core.settings import BackupSettings

# output.stderr is a TextIO in all but name (rich asks for IO[str]).
err_console = Console(file=output.stderr, highlight=False)  # pyright: ignore[reportArgumentType]
# Piped output (a log, a file) keeps whole lines instead of rich's 80-column default, unless
# COLUMNS says how wide the reader is.
out_console = Console(
    file=output.stdout,  # pyright: ignore[reportArgumentType]  # a TextIO in all but name
    highlight=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160,
)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", metavar="DIR", help="Data root (BACKUP_DATA_DIR).", show_default=False
    ),
]
BackupDirOption = Annotated[
    Path | None,
    typer.Option(
        "--backup-dir", metavar="DIR", help="Backup root (BACKUP_DIR).", show_default=False
    ),
]
QdrantUrlOption = Annotated[
    str | None, typer.Option("--qdrant-url", metavar="URL", help="Qdrant server URL (QDRANT_URL).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")]


def setup_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=output.stderr,
    )
    if not debug:
        # httpx logs every request at INFO; the user wants results, not a request log.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    # The storage SDKs log signed request headers and session URLs at DEBUG: never shown, even
    # with --debug. Without --debug their INFO chatter ("Found credentials in environment
    # variables") would break the one-line error on stderr, so only warnings get through.
    sdk_level = logging.INFO if debug else logging.WARNING
    for name in ("botocore", "boto3", "s3transfer", "urllib3", "google", "google_auth_httplib2"):
        logging.getLogger(name).setLevel(sdk_level)


def settings_from(**overrides: object) -> BackupSettings:
    """Settings with flag overrides; a bad value becomes a ConfigError naming the variable."""
    from pydantic import ValidationError

    from persistence.core.settings import load_settings

    try:
        settings = load_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "setting"
        # pydantic prefixes a validator's own message with "Value error, ": noise to a reader.
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {_env_name(field)}: {message}") from None
    if settings.qdrant_api_key is not None:
        output.register_secret(settings.qdrant_api_key.get_secret_value())
    return settings


def _env_name(field: str) -> str:
    from persistence.core.environment import environment_names
    from persistence.core.settings import BackupSettings

    info = BackupSettings.model_fields.get(field)
    names = environment_names(info) if info else []
    return names[0] if names else field


def error_line(message: str) -> None:
    """The one line a failure gets on stderr (the message's brackets are not markup)."""
    err_console.print(f"[bold red]error:[/] {escape(one_line(message))}", soft_wrap=True)


def fail(message: str, code: int | ExitCode = ExitCode.FAILED) -> NoReturn:
    error_line(message)
    raise typer.Exit(int(code))


def emit_json(model: BaseModel | list[BaseModel]) -> None:
    if isinstance(model, list):
        body = "[" + ",\n".join(m.model_dump_json(indent=2) for m in model) + "]"
    else:
        body = model.model_dump_json(indent=2)
    output.stdout.write(body + "\n")


class Outcome(Protocol):
    """What every service result offers a shell: a verdict, its error line, its exit code."""

    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str | None: ...
    @property
    def exit_code(self) -> int: ...
    def model_dump_json(self, *, indent: int | None = None) -> str: ...


OutcomeT = TypeVar("OutcomeT", bound=Outcome)


def finish(result: OutcomeT, json_output: bool, render: Callable[[OutcomeT], None]) -> int:
    """Print a result as JSON or through `render`, then its error line; give its exit code."""
    if json_output:
        output.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        render(result)
    if not result.ok:
        error_line(result.error or "")
    return result.exit_code


class NoProgress:
    def __enter__(self) -> ProgressCallback:
        return ignore_progress

    def __exit__(self, *_exc: object) -> None:
        return None


def progress_for(json_output: bool) -> TerminalProgress | NoProgress:
    if json_output or not sys.stderr.isatty():
        return NoProgress()
    from persistence.cli.progress import TerminalProgress

    return TerminalProgress()


BackupIdArgument = Annotated[
    str | None,
    typer.Argument(metavar="ID", help="backup_<ts> or pre-restore_<ts>.", show_default=False),
]
LatestOption = Annotated[bool, typer.Option("--latest", help="The newest complete backup.")]


def one_of(
    backup_id: str | None, latest: bool, every: bool = False, *, offer_all: bool = False
) -> None:
    if sum((backup_id is not None, latest, every)) != 1:
        choices = "an ID, --latest or --all" if offer_all else "an ID or --latest"
        raise ConfigError(f"name exactly one of {choices}")
