"""The one interface every component kind implements: capture, check, plan, apply, save.

A kind (database, file tree, Qdrant server, embedded Qdrant) owns everything that depends on
what it is: how it is copied into a backup, what verify checks beyond the recorded hashes,
what a restore would change, how the change is applied, and what the undo copy keeps. The
engines (backup, verify, restore) only loop over components; `registry` picks the kinds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from persistence.components.models import ComponentPlan, ComponentRestoreResult, Findings
from persistence.core.paths import SafePaths
from persistence.core.progress import ComponentProgress, ProgressCallback
from persistence.core.settings import BackupSettings
from persistence.store.manifest import ComponentRecord
from persistence.store.reuse import Reuse


@dataclass(frozen=True)
class CaptureContext:
    """Where a component writes (`target_dir`, created by the component) and whom it tells."""

    target_dir: Path
    progress: ProgressCallback
    reuse: Reuse | None = None  # incremental runs: the previous backup to hard-link from
    # Set by the run when another component failed or the user pressed Ctrl-C: a capture
    # running on its own thread stops at its next file instead of finishing its whole tree.
    stop: threading.Event = field(default_factory=threading.Event)


class CaptureStopped(Exception):
    """A capture gave up because its run is stopping (never the run's reported error)."""


@dataclass(frozen=True)
class CheckContext:
    """What verify asks for: `deep` (offline content checks), `drill` (a trial restore)."""

    settings: BackupSettings
    progress: ProgressCallback
    deep: bool = False
    drill: bool = False


@dataclass(frozen=True)
class PlanContext:
    """A restore plan's inputs; targets always come from these CURRENT settings and paths."""

    settings: BackupSettings
    paths: SafePaths
    if_empty: bool
    # The backup is an undo copy: a component it records as absent did not exist before
    # the restore it undoes, so undoing removes it.
    undoes_a_restore: bool
    # --force: a kind may then replace what it would otherwise refuse (a Qdrant cluster
    # collection whose shard layout differs from the backup's).
    force: bool = False


@dataclass(frozen=True)
class ApplyContext:
    """A restore step's inputs; `damaged` paths failed verification (a forced restore)."""

    settings: BackupSettings
    progress: ProgressCallback
    damaged: frozenset[str] = frozenset()


class Component(Protocol):
    """One component of the app's state, of one kind."""

    @property
    def name(self) -> str: ...

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        """Copy the source into `ctx.target_dir`; status captured, absent or skipped.

        Raises ComponentError (or any BackupError) when the source exists but cannot be
        captured: the run then fails.
        """
        ...

    def check(self, folder: Path, record: ComponentRecord, ctx: CheckContext) -> Findings:
        """Everything verify checks of this component's folder in a backup (read only)."""
        ...

    def plan_restore(
        self, folder: Path, record: ComponentRecord | None, ctx: PlanContext
    ) -> ComponentPlan:
        """What restoring `record` (None: not in the backup) would change; reads only."""
        ...

    def apply_restore(
        self, folder: Path, record: ComponentRecord, step: ComponentPlan, ctx: ApplyContext
    ) -> ComponentRestoreResult:
        """Carry out a planned step that has changes."""
        ...

    def save_before_restore(
        self, step: ComponentPlan, ctx: CaptureContext
    ) -> ComponentRecord | None:
        """The undo copy of what `step` is about to change (None: nothing to save)."""
        ...

    def damage_is_expected(self, folder: Path, record: ComponentRecord) -> bool:
        """True when a verify failure is what this copy is (an intact raw copy of a database
        that was already damaged), so a forced restore may still put it back."""
        ...


def restore_meter(
    step: ComponentPlan, progress: ProgressCallback, *, files_total: int
) -> ComponentProgress:
    """The progress meter of one restore step, started."""
    meter = ComponentProgress(
        step.name,
        progress,
        bytes_total=step.bytes_staged or step.bytes_to_write,
        files_total=files_total,
    )
    meter.start(f"restoring into {step.target}")
    return meter
