"""The seam every component (files, databases, Qdrant) plugs into."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from persistence.core.progress import ProgressCallback
from persistence.store.manifest import ComponentRecord
from persistence.store.reuse import Reuse


@dataclass(frozen=True)
class CaptureContext:
    """Where a component writes (`target_dir`, created by the component) and whom it tells."""

    target_dir: Path
    progress: ProgressCallback
    reuse: Reuse | None = None  # incremental runs: the previous backup to hard-link from


class BackupComponent(Protocol):
    """Captures one source into `ctx.target_dir`.

    Returns a record with status captured, absent or skipped. Raises ComponentError (or any
    BackupError) when the source exists but cannot be captured: the run then fails.
    """

    @property
    def name(self) -> str: ...

    def capture(self, ctx: CaptureContext) -> ComponentRecord: ...
