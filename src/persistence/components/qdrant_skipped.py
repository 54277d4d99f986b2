"""Qdrant when this run does not capture it (not configured, or --no-qdrant)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from persistence.components.base import ApplyContext, CaptureContext, CheckContext, PlanContext
from persistence.components.files import check_files
from persistence.components.models import ComponentPlan, ComponentRestoreResult, Findings
from persistence.components.names import QDRANT_COMPONENT
from persistence.core.errors import QdrantError
from persistence.core.fsio import make_private_dir
from persistence.store.manifest import ComponentRecord, ComponentStatus, QdrantRecord

COMPONENT_NAME = QDRANT_COMPONENT


def not_in_backup(name: str, record: ComponentRecord | None) -> ComponentPlan:
    if record is not None and record.status is ComponentStatus.CAPTURED:
        return ComponentPlan(name=name, action="leave", reason="no Qdrant data in this backup")
    status = record.status.value if record is not None else "not recorded"
    reason = f"not in this backup ({status}): left as is"
    return ComponentPlan(name=name, action="leave", reason=reason)


@dataclass(frozen=True)
class SkippedComponent:
    reason: str
    name: str = COMPONENT_NAME

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        del ctx
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.SKIPPED,
            method=self.reason,
            qdrant=QdrantRecord(mode="not-configured") if self.reason == "not configured" else None,
        )

    def check(self, folder: Path, record: ComponentRecord, ctx: CheckContext) -> Findings:
        return check_files(folder, record, ctx.progress, strict_dirs=False)

    def plan_restore(
        self, folder: Path, record: ComponentRecord | None, ctx: PlanContext
    ) -> ComponentPlan:
        del folder, ctx
        plan = not_in_backup(self.name, record)
        if record is not None and record.status is ComponentStatus.CAPTURED:
            plan.reason = "no Qdrant data in this backup"
        return plan

    def apply_restore(
        self, folder: Path, record: ComponentRecord, step: ComponentPlan, ctx: ApplyContext
    ) -> ComponentRestoreResult:
        del folder, record, ctx
        return ComponentRestoreResult(name=self.name, ok=True, action=step.action)

    def save_before_restore(
        self, step: ComponentPlan, ctx: CaptureContext
    ) -> ComponentRecord | None:
        del step, ctx
        return None

    def damage_is_expected(self, folder: Path, record: ComponentRecord) -> bool:
        del folder, record
        return False


def make_qdrant_dir(path: Path, collection: str | None) -> None:
    try:
        make_private_dir(path)
    except OSError as exc:
        where = f"Qdrant collection '{collection}'" if collection else "Qdrant"
        raise QdrantError(f"{where}: cannot create {path}: {exc.strerror}") from None
