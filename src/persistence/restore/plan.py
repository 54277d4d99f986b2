"""The restore plan: what would be written, replaced and removed, and whether it fits.

Building a plan only reads: the data root, the backup and (for Qdrant) the server's lists.
Each component kind plans its own part (`Component.plan_restore`); targets always come from
the CURRENT settings, the manifest's `source` is never used, and every manifest path is
validated before it is compared with anything.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from persistence.components.base import PlanContext
from persistence.components.models import ComponentPlan
from persistence.components.registry import component_for, restore_order
from persistence.core.errors import ConfigError
from persistence.core.paths import SafePaths
from persistence.core.settings import BackupSettings
from persistence.restore.models import RestorePlan, SpaceCheck
from persistence.store.catalog import PRE_RESTORE_PREFIX, CompleteBackup


def _plan_component(
    settings: BackupSettings,
    paths: SafePaths,
    backup: CompleteBackup,
    name: str,
    if_empty: bool,
    force: bool = False,
) -> ComponentPlan:
    record = backup.manifest.component(name)
    component = component_for(name, record, settings, paths)
    assert component is not None  # `name` comes from restore_order
    ctx = PlanContext(
        settings=settings,
        paths=paths,
        if_empty=if_empty,
        undoes_a_restore=backup.backup_id.startswith(PRE_RESTORE_PREFIX),
        force=force,
    )
    return component.plan_restore(backup.path / name, record, ctx)


def _probe(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def space_checks(
    paths: SafePaths, components: Iterable[ComponentPlan], undo: bool
) -> list[SpaceCheck]:
    """Free space for the staged copies (data side) and the pre-restore copy (backup side).

    A Qdrant server's own disk is not ours to measure (the plan warns instead); saving its
    collections before the restore is estimated by the size of their snapshots in the backup.
    """
    changing = [c for c in components if c.changes]
    staged = sum(c.bytes_staged for c in changing)
    saved = sum(
        c.current_bytes + sum(col.bytes for col in c.collections if col.action == "replace")
        for c in changing
    )
    saved = saved if undo else 0
    data, backups = _probe(paths.data_dir), _probe(paths.backup_dir)
    needs: dict[Path, tuple[str, int]] = {data: ("staged restore", staged)}
    if data.stat().st_dev == backups.stat().st_dev:
        needs[data] = ("staged restore + pre-restore copy", staged + saved)
    else:
        needs[backups] = ("pre-restore copy", saved)
    checks: list[SpaceCheck] = []
    for where, (purpose, needed) in needs.items():
        free = shutil.disk_usage(where).free
        checks.append(
            SpaceCheck(
                path=str(where),
                purpose=purpose,
                needed_bytes=needed,
                free_bytes=free,
                ok=needed <= free,
            )
        )
    return checks


def linked_component_folders(backup: CompleteBackup, names: list[str]) -> list[str]:
    """A component folder replaced by a symlink would make a restore read from wherever it
    points: refused, forced or not (verify fails it too)."""
    found: list[str] = []
    for name in names:
        folder = backup.path / name
        if folder.is_symlink():
            found.append(
                f"{name}: {folder} is a symlink (to {folder.readlink()}), not the backup's "
                "own folder: refusing to read it"
            )
    return found


def build_plan(
    settings: BackupSettings,
    paths: SafePaths,
    backup: CompleteBackup,
    *,
    only: list[str] | None,
    if_empty: bool,
    force: bool = False,
) -> RestorePlan:
    names = restore_order(settings, paths)
    unknown = [name for name in only or [] if name not in names]
    if unknown:
        raise ConfigError(
            f"unknown component {unknown[0]!r} for --only; choose from {', '.join(names)}"
        )
    components: list[ComponentPlan] = []
    for name in names:
        if only and name not in only:
            components.append(ComponentPlan(name=name, action="skip", reason="not selected"))
        else:
            components.append(_plan_component(settings, paths, backup, name, if_empty, force))
    nothing = not any(c.changes for c in components)
    undo = not if_empty and not nothing
    space = space_checks(paths, components, undo)
    problems = [f"{c.name}: {p}" for c in components for p in c.problems]
    problems += linked_component_folders(backup, [c.name for c in components if c.changes])
    problems += [
        f"not enough free space at {s.path} for the {s.purpose}: {s.needed_bytes} bytes "
        f"needed, {s.free_bytes} free"
        for s in space
        if not s.ok
    ]
    return RestorePlan(
        backup_id=backup.backup_id,
        backup_path=str(backup.path),
        created_at=backup.created_at.isoformat(),
        if_empty=if_empty,
        only=only,
        components=components,
        bytes_to_write=sum(c.bytes_to_write for c in components),
        space=space,
        warnings=[f"{c.name}: {w}" for c in components for w in c.warnings],
        problems=problems,
        nothing_to_do=nothing,
        undo=(
            "the current state of the restored components is first saved as "
            "pre-restore_<timestamp> in the backup root; undo with "
            "`restore-backup pre-restore_<timestamp>`"
            if undo
            else "nothing is overwritten: no pre-restore copy is needed"
        ),
    )
