"""What every command shares: settings from flags, one-line errors, JSON, terminal progress."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, Protocol, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from persistence.cli import output
from persistence.core.errors import ConfigError, ExitCode
from persistence.core.progress import (
    ProgressCallback,
    ProgressEvent,
    ProgressStage,
    ignore_progress,
)
from persistence.core.redact import one_line
from persistence.core.settings import BackupSettings, load_settings

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
    info = BackupSettings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return alias if isinstance(alias, str) else field


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


class TerminalProgress:
    """Renders engine progress events as rich progress bars, one per component."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[files]}"),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressCallback:
        self._progress.start()
        return self.handle

    def __exit__(self, *_exc: object) -> None:
        self._progress.stop()

    def handle(self, event: ProgressEvent) -> None:
        name = event.component or ""
        if event.stage is ProgressStage.MESSAGE:
            self._progress.console.print(f"[yellow]{event.message}[/]")
            return
        if event.stage is ProgressStage.COMPONENT_STARTED:
            self._tasks[name] = self._progress.add_task(
                name, total=event.bytes_total, files=self._files(event)
            )
            return
        task = self._tasks.get(name)
        if task is None:
            return
        if event.stage is ProgressStage.COMPONENT_ADVANCED:
            self._progress.update(task, completed=event.bytes_done, files=self._files(event))
        elif event.stage is ProgressStage.COMPONENT_FINISHED:
            self._progress.update(
                task,
                total=event.bytes_total or event.bytes_done,
                completed=event.bytes_total or event.bytes_done,
                files=self._files(event),
            )

    @staticmethod
    def _files(event: ProgressEvent) -> str:
        total = f"/{event.files_total}" if event.files_total is not None else ""
        return f"{event.files_done}{total} files"


class NoProgress:
    def __enter__(self) -> ProgressCallback:
        return ignore_progress

    def __exit__(self, *_exc: object) -> None:
        return None


def progress_for(json_output: bool) -> TerminalProgress | NoProgress:
    if json_output or not sys.stderr.isatty():
        return NoProgress()
    return TerminalProgress()
