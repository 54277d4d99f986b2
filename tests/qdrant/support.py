"""Helpers shared by the Qdrant tests: test keys, a capture run, a progress recorder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from persistence.components.base import CaptureContext
from persistence.components.registry import qdrant_component
from persistence.core.progress import ProgressEvent
from persistence.core.settings import BackupSettings
from persistence.store.manifest import ComponentRecord

API_KEY = "s3cr3t-write-key-9f2c"  # a test key, looked for in logs and records
READ_KEY = "s3cr3t-read-key-41ab"


@dataclass
class Recorder:
    events: list[ProgressEvent] = field(default_factory=lambda: [])

    def __call__(self, event: ProgressEvent) -> None:
        self.events.append(event)


def capture(settings: BackupSettings, staging: Path, *, skip: bool = False) -> ComponentRecord:
    component = qdrant_component(settings, settings.resolved().qdrant_path, skip=skip)
    return component.capture(CaptureContext(target_dir=staging / "qdrant", progress=Recorder()))


def leftover_parts(root: Path) -> list[Path]:
    return list(root.rglob("*.part")) if root.exists() else []
