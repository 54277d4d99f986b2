"""The embedded Qdrant kind: a qdrant-client local-mode folder, copied under its own lock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from persistence.components.base import (
    ApplyContext,
    CaptureContext,
    CheckContext,
    PlanContext,
    restore_meter,
)
from persistence.components.files import check_files
from persistence.components.models import ComponentPlan, ComponentRestoreResult, Findings
from persistence.components.names import QDRANT_COMPONENT
from persistence.components.qdrant_skipped import not_in_backup
from persistence.core.paths import SafePaths
from persistence.core.progress import ComponentProgress, ThrottledProgress
from persistence.core.settings import BackupSettings
from persistence.qdrant.embedded import copy_embedded, restore_embedded
from persistence.store.manifest import ComponentRecord, ComponentStatus, QdrantRecord

COMPONENT_NAME = QDRANT_COMPONENT
METHOD_EMBEDDED = "embedded-copy"
EMBEDDED_LOCK = ".lock"


@dataclass(frozen=True)
class EmbeddedComponent:
    """Copy a qdrant-client local-mode folder under the client's own lock."""

    folder: Path | None  # None: QDRANT_PATH is not set (a restore then says so)
    name: str = COMPONENT_NAME

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        if self.folder is None or not self.folder.is_dir():
            return ComponentRecord(
                name=self.name,
                status=ComponentStatus.ABSENT,
                source=str(self.folder),
                method=METHOD_EMBEDDED,
                warnings=[f"embedded Qdrant folder {self.folder} does not exist"],
                qdrant=QdrantRecord(mode="embedded"),
            )
        progress = ComponentProgress(component=self.name, callback=ctx.progress)
        progress.start(f"embedded Qdrant {self.folder}")
        reporter = ThrottledProgress(progress)
        copied = copy_embedded(self.folder, ctx.target_dir, reporter)
        reporter.flush()
        progress.finish(f"{len(copied.files)} file(s), {copied.bytes} bytes")
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.CAPTURED,
            source=str(self.folder),
            method=METHOD_EMBEDDED,
            bytes=copied.bytes,
            file_count=len(copied.files),
            files=copied.files,
            warnings=copied.warnings,
            qdrant=QdrantRecord(mode="embedded"),
        )

    def check(self, folder: Path, record: ComponentRecord, ctx: CheckContext) -> Findings:
        found = check_files(folder, record, ctx.progress, strict_dirs=False)
        if found.problems or record.status is not ComponentStatus.CAPTURED:
            return found
        if ctx.deep:
            found.notes.append("no deep check: Qdrant was captured in embedded mode")
        if ctx.drill:
            found.notes.append("no drill: Qdrant was captured in embedded mode")
        return found

    def plan_restore(
        self, folder: Path, record: ComponentRecord | None, ctx: PlanContext
    ) -> ComponentPlan:
        del folder
        if record is None or record.status is not ComponentStatus.CAPTURED:
            return not_in_backup(self.name, record)
        plan = ComponentPlan(name=record.name, action="leave")
        return _plan_embedded(ctx.settings, ctx.paths, record, plan, if_empty=ctx.if_empty)

    def apply_restore(
        self, folder: Path, record: ComponentRecord, step: ComponentPlan, ctx: ApplyContext
    ) -> ComponentRestoreResult:
        meter = restore_meter(step, ctx.progress, files_total=len(step.files_written))
        result = ComponentRestoreResult(name=record.name, ok=True, action=step.action)
        assert step.target is not None
        copied = restore_embedded(folder, Path(step.target))
        meter.finish()
        result.files_written = len(copied.files)
        result.bytes_written = copied.bytes
        result.warnings.extend(copied.warnings)
        return result

    def save_before_restore(
        self, step: ComponentPlan, ctx: CaptureContext
    ) -> ComponentRecord | None:
        del step
        return self.capture(ctx)

    def damage_is_expected(self, folder: Path, record: ComponentRecord) -> bool:
        del folder, record
        return False


def _plan_embedded(
    settings: BackupSettings,
    paths: SafePaths,
    record: ComponentRecord,
    plan: ComponentPlan,
    *,
    if_empty: bool,
) -> ComponentPlan:
    if settings.qdrant_url or paths.qdrant_path is None:
        plan.problems.append(
            "the backup holds an embedded Qdrant folder: restore it with QDRANT_PATH set "
            "and QDRANT_URL unset"
        )
        return plan
    target = paths.qdrant_path
    plan.target = str(target)
    present = target.is_dir() and any(e.name != EMBEDDED_LOCK for e in target.iterdir())
    if if_empty and present:
        plan.reason = "the embedded Qdrant folder is not empty"
        return plan
    plan.action = "restore-missing" if if_empty else "restore"
    plan.files_written = [f.path for f in record.files if f.kind == "file"]
    plan.bytes_to_write = plan.bytes_staged = record.bytes
    if present:
        plan.files_removed = ["(everything in the folder but its lock is replaced)"]
        plan.current_bytes = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return plan
