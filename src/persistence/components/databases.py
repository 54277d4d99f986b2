"""The database kind: a SQLite or DuckDB file (the kind is read from the header)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from persistence.components.base import (
    ApplyContext,
    CaptureContext,
    CheckContext,
    PlanContext,
    restore_meter,
)
from persistence.components.compressed import check_original
from persistence.components.database_copy import (
    DatabaseKind,
    copy_duckdb,
    copy_sqlite,
    database_record,
    detect_kind,
    is_duckdb_error,
)
from persistence.components.databases_restore import (
    RAW_COPY_METHOD,
    check_database,
    plan_database,
    raw_copy,
    raw_copy_intact,
    restore_database,
    unreadable,
)
from persistence.components.db_fingerprint import source_fingerprint
from persistence.components.files import check_files, checked_files, plan_uncaptured, remove_absent
from persistence.components.models import ComponentPlan, ComponentRestoreResult, Findings
from persistence.core.errors import ComponentError
from persistence.core.fsio import PRIVATE_FILE_MODE, CopiedFile, hash_file, make_private_dir
from persistence.core.progress import ComponentProgress
from persistence.store.manifest import ComponentRecord, ComponentStatus

__all__ = ["DatabaseComponent", "DatabaseKind", "detect_kind"]


@dataclass(frozen=True)
class DatabaseComponent:
    name: str
    source: Path

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        if not self.source.exists():
            return ComponentRecord(
                name=self.name, status=ComponentStatus.ABSENT, source=str(self.source)
            )
        if not self.source.is_file():
            raise ComponentError(f"{self.name}: {self.source} is not a file")
        kind = detect_kind(self.source)
        progress = ComponentProgress(self.name, ctx.progress, files_total=1)
        progress.start(f"{kind} {self.source}")
        make_private_dir(ctx.target_dir)
        target = ctx.target_dir / self.source.name
        before = source_fingerprint(self.source)
        unchanged = self._link_untouched(ctx, before)
        if unchanged is not None:
            progress.advance(bytes_done=unchanged.bytes, files_done=1)
            progress.finish()
            return unchanged
        hashed: CopiedFile | None = None
        try:
            if kind is DatabaseKind.SQLITE:
                method = "sqlite-online-backup"
                copy_sqlite(self.source, target)
            elif kind is DatabaseKind.DUCKDB:
                hashed = copy_duckdb(self.source, target)
                method = "duckdb-file-copy" if hashed else "duckdb-wal-replayed"
            else:
                method = "empty-file"
                target.touch()
        except Exception as exc:
            if not (isinstance(exc, sqlite3.Error) or is_duckdb_error(exc)):
                raise
            raise ComponentError(f"{self.name}: copying {self.source} failed: {exc}") from exc
        target.chmod(PRIVATE_FILE_MODE)
        # Made durable with the whole backup by one syncfs at commit; SQLite wrote this file
        # itself, so only its copy needs this one read (from the page cache) to be hashed.
        copied = hashed or hash_file(target)
        progress.advance(bytes_done=copied.size, files_done=1)
        progress.finish()
        record = database_record(self.name, self.source, target.name, copied, method)
        # Unchanged from before the copy to after it: the live file then still is what was
        # copied, and a later restore plan can say "unchanged" without reading it.
        if before is not None and before == source_fingerprint(self.source):
            files = [record.files[0].model_copy(update={"source_fingerprint": before})]
            record = record.model_copy(update={"files": files})
        return record

    def _link_untouched(
        self, ctx: CaptureContext, fingerprint: str | None
    ) -> ComponentRecord | None:
        """Untouched since the previous backup copied it: that copy, hard-linked (no copy)."""
        reuse = ctx.reuse.component(self.name) if ctx.reuse is not None else None
        item = reuse.link_untouched_database(fingerprint, ctx.target_dir) if reuse else None
        if item is None or reuse is None:
            return None
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.CAPTURED,
            source=str(self.source),
            method=reuse.method,
            bytes=item.size,
            file_count=1,
            files=[item],
        )

    def check(self, folder: Path, record: ComponentRecord, ctx: CheckContext) -> Findings:
        found = check_files(folder, record, ctx.progress, strict_dirs=False)
        if found.problems or record.status is not ComponentStatus.CAPTURED:
            return found
        for item in record.files:
            problem = check_original(folder / item.path, item, check_database)
            if problem:
                found.fail_file(item.path, problem)
        return found

    def plan_restore(
        self, folder: Path, record: ComponentRecord | None, ctx: PlanContext
    ) -> ComponentPlan:
        uncaptured = plan_uncaptured(self.name, record, self.source, ctx)
        if uncaptured is not None or record is None:
            return uncaptured or ComponentPlan(name=self.name, action="leave")
        first = record.files[0].path if record.files else ""
        return plan_database(record, folder / first, self.source, if_empty=ctx.if_empty)

    def apply_restore(
        self, folder: Path, record: ComponentRecord, step: ComponentPlan, ctx: ApplyContext
    ) -> ComponentRestoreResult:
        if record.status is ComponentStatus.ABSENT:
            return remove_absent(step)
        result = ComponentRestoreResult(name=self.name, ok=True, action=step.action)
        entries = [e for e in checked_files(record) if e.path not in ctx.damaged]
        if ctx.damaged:
            damaged = ", ".join(sorted(ctx.damaged))
            result.warnings.append(f"not restored, damaged in the backup: {damaged}")
        if not entries:
            result.action = "leave"
            return result
        meter = restore_meter(step, ctx.progress, files_total=1)
        applied = restore_database(folder, entries[0], self.source, meter)
        meter.finish()
        result.files_written, result.bytes_written = applied.files, applied.bytes
        result.files_removed = len(applied.removed)
        if record.method == RAW_COPY_METHOD:
            result.warnings.append(
                f"put back a raw copy of a database that could not be read consistently "
                f"when it was saved: {self.source} may still be damaged"
            )
        return result

    def save_before_restore(
        self, step: ComponentPlan, ctx: CaptureContext
    ) -> ComponentRecord | None:
        """A live database that cannot be read consistently (damaged: the commonest reason
        to restore) is kept as a raw byte copy; one held by a running app is not."""
        del step
        try:
            return self.capture(ctx)
        except ComponentError as exc:
            if not unreadable(self.source, exc):
                raise
            return raw_copy(self.name, self.source, ctx, exc.message)

    def damage_is_expected(self, folder: Path, record: ComponentRecord) -> bool:
        return raw_copy_intact(folder, record)
