"""A folder tree copied file by file: relative paths, sizes, modes, mtimes, one hash pass."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from persistence.components.base import (
    ApplyContext,
    CaptureContext,
    CaptureStopped,
    CheckContext,
    PlanContext,
    restore_meter,
)
from persistence.components.files import (
    check_files,
    checked_files,
    plan_uncaptured,
    remove_absent,
)
from persistence.components.models import ComponentPlan, ComponentRestoreResult, Findings
from persistence.components.tree_entries import not_regular_warning, recordable_entries
from persistence.components.trees_restore import (
    overlap_problem,
    patch_tree,
    plan_tree,
    restore_missing,
)
from persistence.core.errors import ComponentError
from persistence.core.fsio import NotRegularFile, copy_and_hash, make_private_dir
from persistence.core.progress import ComponentProgress
from persistence.core.walk import TreeEntry, walk_tree
from persistence.store.manifest import ComponentRecord, ComponentStatus, FileRecord
from persistence.store.manifest_types import RECORDED_MODE_BITS
from persistence.store.reuse import ComponentReuse

# Copies in flight per tree. The copy loop is a read, a sha256 update and a write per chunk, all
# outside the GIL; four threads keep two cores and the disk queue busy (benchmarks/
# space_and_time.py) while holding at most four 1 MiB chunks.
COPY_THREADS = 4


@dataclass(frozen=True)
class TreeComponent:
    """Copies the tree at `source`; a missing tree is `absent`, a disabled one `skipped`."""

    name: str
    source: Path
    enabled: bool = True
    disabled_reason: str = ""

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        if not self.enabled:
            return ComponentRecord(
                name=self.name,
                status=ComponentStatus.SKIPPED,
                source=str(self.source),
                method=self.disabled_reason,
            )
        if not self.source.exists():
            return ComponentRecord(
                name=self.name, status=ComponentStatus.ABSENT, source=str(self.source)
            )
        if not self.source.is_dir():
            raise ComponentError(f"{self.name}: {self.source} is not a folder")
        try:
            return self._copy(ctx)
        except PermissionError as exc:
            raise ComponentError(
                f"{self.name}: permission denied reading {exc.filename}; "
                "run the backup as the app's user"
            ) from exc

    def check(self, folder: Path, record: ComponentRecord, ctx: CheckContext) -> Findings:
        return check_files(folder, record, ctx.progress, strict_dirs=True)

    def plan_restore(
        self, folder: Path, record: ComponentRecord | None, ctx: PlanContext
    ) -> ComponentPlan:
        del folder
        if not self.enabled and record is not None and record.status is not ComponentStatus.SKIPPED:
            problem = overlap_problem(ctx.paths, self.source)
            if problem:
                return ComponentPlan(name=self.name, action="leave", problems=[problem])
        uncaptured = plan_uncaptured(self.name, record, self.source, ctx)
        if uncaptured is not None or record is None:
            return uncaptured or ComponentPlan(name=self.name, action="leave")
        return plan_tree(record, self.source, if_empty=ctx.if_empty)

    def apply_restore(
        self, folder: Path, record: ComponentRecord, step: ComponentPlan, ctx: ApplyContext
    ) -> ComponentRestoreResult:
        if record.status is ComponentStatus.ABSENT:
            return remove_absent(step)
        files_total = len(step.files_written) + len(step.files_replaced)
        meter = restore_meter(step, ctx.progress, files_total=files_total)
        result = ComponentRestoreResult(name=self.name, ok=True, action=step.action)
        entries = [e for e in checked_files(record) if e.path not in ctx.damaged]
        if ctx.damaged:
            damaged = ", ".join(sorted(ctx.damaged))
            result.warnings.append(f"not restored, damaged in the backup: {damaged}")
        if step.action == "restore-missing":
            applied = restore_missing(folder, entries, set(step.files_written), self.source, meter)
        else:
            applied = patch_tree(folder, entries, step, self.source, meter)
            result.files_removed = len(step.files_removed)
        meter.finish()
        result.files_written, result.bytes_written = applied.files, applied.bytes
        result.warnings.extend(applied.warnings)
        return result

    def save_before_restore(
        self, step: ComponentPlan, ctx: CaptureContext
    ) -> ComponentRecord | None:
        # The include flags (BACKUP_INCLUDE_LOGS) choose what a backup keeps, but the undo
        # copy keeps whatever the restore replaces.
        del step
        return replace(self, enabled=True).capture(ctx)

    def damage_is_expected(self, folder: Path, record: ComponentRecord) -> bool:
        del folder, record
        return False

    def _copy(self, ctx: CaptureContext) -> ComponentRecord:
        vanished: list[Path] = []
        entries = walk_tree(self.source, vanished)
        warnings = [f"{path} vanished while it was being listed" for path in vanished]
        entries = recordable_entries(entries, warnings)
        regular = [e for e in entries if stat.S_ISREG(e.info.st_mode)]
        progress = ComponentProgress(
            self.name,
            ctx.progress,
            bytes_total=sum(e.info.st_size for e in regular),
            files_total=len(regular),
        )
        progress.start(str(self.source))
        make_private_dir(ctx.target_dir)
        reuse = ctx.reuse.component(self.name) if ctx.reuse is not None else None
        records = self._capture_entries(entries, ctx, progress, warnings, reuse)
        progress.finish()
        files = [r for r in records if r.kind == "file"]
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.CAPTURED,
            source=str(self.source),
            method="file-copy",
            bytes=sum(r.size for r in files),
            file_count=len(files),
            files=records,
            warnings=warnings,
        )

    def _capture_entries(
        self,
        entries: list[TreeEntry],
        ctx: CaptureContext,
        progress: ComponentProgress,
        warnings: list[str],
        reuse: ComponentReuse | None,
    ) -> list[FileRecord]:
        """Folders, links and linked files here, in walk order (a folder exists before anything
        inside it is copied); file copies on COPY_THREADS threads, recorded in walk order."""
        slots: list[FileRecord | _Copying | None] = []
        with ThreadPoolExecutor(COPY_THREADS, thread_name_prefix="copy") as pool:
            try:
                for entry in entries:
                    if ctx.stop.is_set():
                        raise CaptureStopped(self.name)
                    done = self._capture_entry(entry, ctx.target_dir, progress, warnings, reuse)
                    if isinstance(done, _ToCopy):
                        future = pool.submit(_copy_file, entry, ctx.target_dir, progress, ctx.stop)
                        slots.append(_Copying(future))
                    else:
                        slots.append(done)
                records = [self._finish(slot, warnings) for slot in slots]
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return [r for r in records if r is not None]

    @staticmethod
    def _finish(slot: FileRecord | _Copying | None, warnings: list[str]) -> FileRecord | None:
        if not isinstance(slot, _Copying):
            return slot
        copied = slot.future.result()
        warnings.extend(copied.warnings)
        return copied.record

    def _capture_entry(
        self,
        entry: TreeEntry,
        target_root: Path,
        progress: ComponentProgress,
        warnings: list[str],
        reuse: ComponentReuse | None,
    ) -> FileRecord | _ToCopy | None:
        # setuid/setgid are never recorded: a manifest carrying them is refused as tampered.
        mode = stat.S_IMODE(entry.info.st_mode) & RECORDED_MODE_BITS
        if stat.S_ISLNK(entry.info.st_mode):
            return FileRecord(
                path=entry.relative,
                kind="symlink",
                mode=mode,
                mtime=entry.info.st_mtime,
                link_target=str(entry.path.readlink()),
            )
        if stat.S_ISDIR(entry.info.st_mode):
            make_private_dir(target_root / entry.relative)
            return FileRecord(path=entry.relative, kind="dir", mode=mode, mtime=entry.info.st_mtime)
        if not stat.S_ISREG(entry.info.st_mode):
            warnings.append(not_regular_warning(entry))
            return None
        if reuse is not None:
            target = f"{target_root}/{entry.relative}"  # a string: see link_unchanged
            linked = reuse.link_unchanged(entry.relative, entry.location, entry.info, target, mode)
            if linked is not None:
                progress.advance(bytes_done=linked.size, files_done=1)
                return linked
        return _TO_COPY


class _ToCopy:
    """Marks an entry `_capture_entry` leaves to a copy thread."""


_TO_COPY = _ToCopy()


@dataclass(frozen=True)
class _Copied:
    record: FileRecord | None
    warnings: list[str]


@dataclass(frozen=True)
class _Copying:
    future: Future[_Copied]


def _copy_file(
    entry: TreeEntry, target_root: Path, progress: ComponentProgress, stop: threading.Event
) -> _Copied:
    """Copy and hash one regular file (on a copy thread: hashlib and os.read/write release
    the GIL, so the copies of a tree overlap)."""

    def on_chunk(count: int) -> None:
        if stop.is_set():  # a big file stops within a chunk, not at its end
            raise CaptureStopped(entry.relative)
        progress.advance(bytes_done=count)

    if stop.is_set():
        raise CaptureStopped(entry.relative)
    mode = stat.S_IMODE(entry.info.st_mode) & RECORDED_MODE_BITS
    try:
        copied = copy_and_hash(entry.path, target_root / entry.relative, on_chunk=on_chunk)
    except FileNotFoundError:
        return _Copied(None, [f"{entry.path} was deleted by the app during the backup: skipped"])
    except NotRegularFile:  # swapped for a fifo or device since it was listed
        return _Copied(None, [not_regular_warning(entry)])
    progress.advance(files_done=1)
    warnings: list[str] = []
    if _changed_during_copy(entry, copied.size):
        warnings.append(
            f"{entry.path} changed while it was being copied: the backup holds the bytes "
            "read then (stop the app for a still picture)"
        )
    record = FileRecord(
        path=entry.relative,
        size=copied.size,
        sha256=copied.sha256,
        mode=mode,
        mtime=entry.info.st_mtime,
        mtime_ns=entry.info.st_mtime_ns,
        inode=entry.info.st_ino,
        ctime_ns=entry.info.st_ctime_ns,
    )
    return _Copied(record, warnings)


def _changed_during_copy(entry: TreeEntry, copied_size: int) -> bool:
    try:
        after = entry.path.stat(follow_symlinks=False)
    except FileNotFoundError:
        return True
    return copied_size != entry.info.st_size or after.st_mtime_ns != entry.info.st_mtime_ns
