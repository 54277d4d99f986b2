"""Engine progress as rich progress bars on a terminal (loaded only when one is attached)."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from persistence.cli.common import err_console
from persistence.core.progress import ProgressCallback, ProgressEvent, ProgressStage


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
