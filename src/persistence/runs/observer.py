"""Something that wants to hear when a run starts and how it ended (notifications).

Defined here, below the layers that implement it, so the wrapper can call it without knowing
what it does; an observer never changes a run's outcome and never raises.
"""

from __future__ import annotations

from typing import Protocol

from persistence.core.results import RunResult


class RunObserver(Protocol):
    def run_started(self) -> None: ...

    def run_finished(self, result: RunResult) -> None: ...
