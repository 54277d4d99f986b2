"""The one channel through which the engine reports progress to whichever shell runs it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class ProgressStage(StrEnum):
    RUN_STARTED = "run_started"
    COMPONENT_STARTED = "component_started"
    COMPONENT_ADVANCED = "component_advanced"
    COMPONENT_FINISHED = "component_finished"
    MESSAGE = "message"
    RUN_FINISHED = "run_finished"


@dataclass(frozen=True)
class ProgressEvent:
    stage: ProgressStage
    component: str | None = None
    message: str = ""
    bytes_done: int = 0
    bytes_total: int | None = None
    files_done: int = 0
    files_total: int | None = None


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(_event: ProgressEvent) -> None:
    """Default callback for callers that do not display progress."""


@dataclass
class ComponentProgress:
    """Accumulates bytes and files for one component and forwards each step to the callback."""

    component: str
    callback: ProgressCallback
    bytes_total: int | None = None
    files_total: int | None = None
    bytes_done: int = 0
    files_done: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def start(self, message: str = "") -> None:
        self.callback(self._event(ProgressStage.COMPONENT_STARTED, message))

    def advance(self, *, bytes_done: int = 0, files_done: int = 0, message: str = "") -> None:
        # Copy threads advance one meter: the sums and the callback are taken one at a time.
        with self._lock:
            self.bytes_done += bytes_done
            self.files_done += files_done
            self.callback(self._event(ProgressStage.COMPONENT_ADVANCED, message))

    def finish(self, message: str = "") -> None:
        self.callback(self._event(ProgressStage.COMPONENT_FINISHED, message))

    def _event(self, stage: ProgressStage, message: str) -> ProgressEvent:
        return ProgressEvent(
            stage,
            self.component,
            message,
            bytes_done=self.bytes_done,
            bytes_total=self.bytes_total,
            files_done=self.files_done,
            files_total=self.files_total,
        )


# Progress events are throttled to one per this many bytes: a 1 GiB download would otherwise
# emit one event per network read.
PROGRESS_STEP = 4 * 1024 * 1024


class ThrottledProgress:
    """Byte counts gathered into one event per PROGRESS_STEP."""

    def __init__(self, progress: ComponentProgress) -> None:
        self._progress = progress
        self._pending = 0

    def __call__(self, size: int) -> None:
        self._pending += size
        if self._pending >= PROGRESS_STEP:
            self.flush()

    def flush(self, message: str = "") -> None:
        if self._pending or message:
            self._progress.advance(bytes_done=self._pending, message=message)
            self._pending = 0
