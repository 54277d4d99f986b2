"""Which kind handles which component: the one place that maps component names to kinds.

Adding a kind means adding its module and one entry here.
"""

from __future__ import annotations

from pathlib import Path

from persistence.components.base import Component
from persistence.components.databases import DatabaseComponent
from persistence.components.names import (
    ANALYTICS_DB,
    CACHE_DB,
    LOGS,
    QDRANT_COMPONENT,
    STORAGE,
    UPLOADS,
)
from persistence.components.qdrant_skipped import SkippedComponent
from persistence.components.trees import TreeComponent
from persistence.core.paths import SafePaths
from persistence.core.settings import BackupSettings
from persistence.store.manifest import ComponentRecord

LOGS_DISABLED = "not included (BACKUP_INCLUDE_LOGS=false)"


def qdrant_component(
    settings: BackupSettings, qdrant_path: Path | None, *, skip: bool
) -> Component:
    """The Qdrant component for this run: skipped, a server, or an embedded folder."""
    if skip:
        return SkippedComponent(reason="skipped (--no-qdrant)")
    if len(settings.qdrant_urls()) > 1:
        return _qdrant_kind("cluster", settings, qdrant_path)
    if settings.qdrant_url:
        return _qdrant_kind("server", settings, qdrant_path)
    if qdrant_path is not None:
        return _qdrant_kind("embedded", settings, qdrant_path)
    return SkippedComponent(reason="not configured")


def _qdrant_kind(mode: str, settings: BackupSettings, qdrant_path: Path | None) -> Component:
    """The Qdrant kinds are imported only when a run uses one: they load httpx and the Qdrant
    code, which a backup of an app without Qdrant never needs (start-up time, issue 12)."""
    if mode == "server":
        from persistence.components.qdrant_server import ServerComponent

        return ServerComponent(settings=settings)
    if mode == "cluster":
        from persistence.components.qdrant_cluster import ClusterComponent

        return ClusterComponent(settings=settings)
    from persistence.components.qdrant_embedded import EmbeddedComponent

    return EmbeddedComponent(folder=qdrant_path)


def _file_components(paths: SafePaths) -> list[Component]:
    return [
        DatabaseComponent(CACHE_DB, paths.cache_db),
        TreeComponent(STORAGE, paths.storage_dir),
        TreeComponent(UPLOADS, paths.uploads_dir),
        DatabaseComponent(ANALYTICS_DB, paths.analytics_db),
        TreeComponent(
            LOGS, paths.logs_dir, enabled=paths.include_logs, disabled_reason=LOGS_DISABLED
        ),
    ]


def build_components(
    settings: BackupSettings, paths: SafePaths, *, skip_qdrant: bool
) -> list[Component]:
    """Every component in capture order (Qdrant last)."""
    qdrant = qdrant_component(settings, paths.qdrant_path, skip=skip_qdrant)
    return [*_file_components(paths), qdrant]


def _qdrant_for_record(
    settings: BackupSettings, paths: SafePaths, record: ComponentRecord | None
) -> Component:
    """A backup's Qdrant data is handled by the kind that captured it, whatever is set now."""
    mode = record.qdrant.mode if record is not None and record.qdrant is not None else None
    if mode in ("server", "cluster", "embedded"):
        return _qdrant_kind(mode, settings, paths.qdrant_path)
    return SkippedComponent(reason=record.method or "not configured" if record else "not recorded")


def component_for(
    name: str, record: ComponentRecord | None, settings: BackupSettings, paths: SafePaths
) -> Component | None:
    """The kind that checks and restores `name` as recorded; None for an unknown name."""
    if name == QDRANT_COMPONENT:
        return _qdrant_for_record(settings, paths, record)
    return next((c for c in _file_components(paths) if c.name == name), None)


def restore_order(settings: BackupSettings, paths: SafePaths) -> list[str]:
    """Every component a restore considers, in order."""
    del settings
    return [c.name for c in _file_components(paths)] + [QDRANT_COMPONENT]


def source_of(paths: SafePaths, component: str) -> Path:
    """Where a file component lives in the data root (from the CURRENT settings)."""
    sources = {
        CACHE_DB: paths.cache_db,
        STORAGE: paths.storage_dir,
        UPLOADS: paths.uploads_dir,
        ANALYTICS_DB: paths.analytics_db,
        LOGS: paths.logs_dir,
    }
    return sources[component]
