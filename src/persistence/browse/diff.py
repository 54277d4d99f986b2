"""diff-backups: what changed between two backups, or between a backup and the data root now.

Files are compared by hash (a live file is hashed only when its size matches and its mtime
does not: size and mtime equal means unchanged, as rsync and restic assume). Databases are
compared by what a user would get, the row count of each table, never by file bytes: a
backup's database is a logical copy whose bytes always differ from its source.
"""

from __future__ import annotations

from persistence.browse.models import (
    BackupDiff,
    Change,
    CollectionChange,
    ComponentDiff,
    FileChange,
    TableChange,
)
from persistence.browse.sides import CollectionState, ComponentSide, FileState, Side
from persistence.browse.tables import row_counts
from persistence.components.names import KNOWN_COMPONENTS, QDRANT_COMPONENT
from persistence.core.codec import readable_original
from persistence.core.errors import BackupError
from persistence.core.fsio import hash_file
from persistence.store.manifest import ComponentStatus

# mtimes are kept as float seconds in the manifest: closer than this counts as equal.
MTIME_TOLERANCE = 0.001
_NOT_COMPARED = (ComponentStatus.SKIPPED.value, "-")


def diff_sides(old: Side, new: Side) -> BackupDiff:
    names = [n for n in KNOWN_COMPONENTS if n in old.components or n in new.components]
    names += sorted((set(old.components) | set(new.components)) - set(names))
    diffs = [
        _component(n, old.components.get(n), new.components.get(n), old.label, new.label)
        for n in names
    ]
    qdrant = next((d for d in diffs if d.name == QDRANT_COMPONENT), None)
    if qdrant is not None:
        _collections(old, new, qdrant)
    return BackupDiff(
        ok=True,
        old_id=old.label,
        new_id=new.label,
        identical=not any(d.differs for d in diffs),
        components=diffs,
    )


def _component(
    name: str, old: ComponentSide | None, new: ComponentSide | None, old_label: str, new_label: str
) -> ComponentDiff:
    old = old or ComponentSide(name, "-")
    new = new or ComponentSide(name, "-")
    diff = ComponentDiff(
        name=name,
        old_status=old.status,
        new_status=new.status,
        old_bytes=old.bytes,
        new_bytes=new.bytes,
    )
    if name == QDRANT_COMPONENT:
        return diff  # compared by collections, below
    if old.status in _NOT_COMPARED or new.status in _NOT_COMPARED:
        diff.compared = False
        if old.status == new.status:
            return diff  # skipped on both sides: nothing to say
        diff.notes.append(f"not compared: {old.status} in {old_label}, {new.status} in {new_label}")
        return diff
    if old.database is not None or new.database is not None:
        _tables(old, new, diff)
        return diff
    _files(old, new, diff)
    return diff


def _files(old: ComponentSide, new: ComponentSide, diff: ComponentDiff) -> None:
    for path in sorted(set(old.files) | set(new.files)):
        before, after = old.files.get(path), new.files.get(path)
        if after is None and before is not None:
            if before.kind != "dir":
                diff.removed.append(
                    FileChange(
                        path=path, change=Change.REMOVED, old_size=before.size, new_size=None
                    )
                )
        elif before is None and after is not None:
            if after.kind != "dir":
                diff.added.append(
                    FileChange(path=path, change=Change.ADDED, old_size=None, new_size=after.size)
                )
        elif before is not None and after is not None and _differs(before, after):
            diff.changed.append(
                FileChange(
                    path=path, change=Change.CHANGED, old_size=before.size, new_size=after.size
                )
            )


def _differs(before: FileState, after: FileState) -> bool:
    if before.kind != after.kind:
        return True
    if before.kind == "symlink":
        return before.link_target != after.link_target
    if before.kind == "dir":
        return False
    if before.size != after.size:
        return True
    if before.sha256 is not None and after.sha256 is not None:
        return before.sha256 != after.sha256
    if abs(before.mtime - after.mtime) <= MTIME_TOLERANCE:
        return False
    return _hash(before) != _hash(after)


def _hash(state: FileState) -> str:
    return state.sha256 if state.sha256 is not None else hash_file(state.location).sha256


def _tables(old: ComponentSide, new: ComponentSide, diff: ComponentDiff) -> None:
    try:
        before, after = _row_counts(old), _row_counts(new)
    except BackupError as exc:
        diff.notes.append(f"tables not compared: {exc.message}")
        return
    except OSError as exc:  # a compressed copy that does not decompress
        diff.notes.append(f"tables not compared: {exc}")
        return
    for table in sorted(set(before) | set(after)):
        if before.get(table) != after.get(table):
            diff.tables.append(
                TableChange(table=table, old_rows=before.get(table), new_rows=after.get(table))
            )
    old_file = next(iter(old.files), None)
    new_file = next(iter(new.files), None)
    if diff.tables and old_file is not None and new_file is not None:
        diff.changed.append(
            FileChange(
                path=new_file,
                change=Change.CHANGED,
                old_size=old.files[old_file].size,
                new_size=new.files[new_file].size,
            )
        )
    elif old_file is None and new_file is not None:
        diff.added.append(
            FileChange(
                path=new_file, change=Change.ADDED, old_size=None, new_size=new.files[new_file].size
            )
        )
    elif new_file is None and old_file is not None:
        diff.removed.append(
            FileChange(
                path=old_file,
                change=Change.REMOVED,
                old_size=old.files[old_file].size,
                new_size=None,
            )
        )


def _row_counts(side: ComponentSide) -> dict[str, int]:
    if side.database is None:
        return {}
    # A compressed copy is counted in a decompressed temporary copy (never inside the backup).
    with readable_original(side.database, side.codec) as (plain, _):
        return row_counts(plain, frozen=side.frozen)


def _collections(old: Side, new: Side, diff: ComponentDiff) -> None:
    for side in (old, new):
        if side.collections is None:
            diff.notes.append(side.collections_note or f"Qdrant of {side.label} not compared")
    if old.collections is None or new.collections is None:
        return
    for name in sorted(set(old.collections) | set(new.collections)):
        change = _collection(name, old.collections.get(name), new.collections.get(name))
        if change is not None:
            diff.collections.append(change)


def _collection(
    name: str, before: CollectionState | None, after: CollectionState | None
) -> CollectionChange | None:
    if before is None and after is not None:
        return CollectionChange(
            name=name, change=Change.ADDED, old_points=None, new_points=after.points_count
        )
    if after is None and before is not None:
        return CollectionChange(
            name=name, change=Change.REMOVED, old_points=before.points_count, new_points=None
        )
    if before is None or after is None:
        return None
    config_changed = before.vectors_config != after.vectors_config
    if before.points_count == after.points_count and not config_changed:
        return None
    return CollectionChange(
        name=name,
        change=Change.CHANGED,
        old_points=before.points_count,
        new_points=after.points_count,
        config_changed=config_changed,
    )
