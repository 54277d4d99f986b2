"""Which component kind handles which component: the one place that maps names to kinds."""

from __future__ import annotations

from pathlib import Path

from persistence.components.base import BackupComponent
from persistence.components.databases import DatabaseComponent
from persistence.components.names import ANALYTICS_DB, CACHE_DB, LOGS, STORAGE, UPLOADS
from persistence.components.qdrant import EmbeddedComponent, ServerComponent, SkippedComponent
from persistence.components.qdrant_cluster import ClusterComponent
from persistence.components.trees import TreeComponent
from persistence.core.paths import SafePaths
from persistence.core.settings import BackupSettings


def qdrant_component(
    settings: BackupSettings, qdrant_path: Path | None, *, skip: bool
) -> BackupComponent:
    """The Qdrant component for this run: skipped, a server, or an embedded folder."""
    if skip:
        return SkippedComponent(reason="skipped (--no-qdrant)")
    if len(settings.qdrant_urls()) > 1:
        return ClusterComponent(settings=settings)
    if settings.qdrant_url:
        return ServerComponent(settings=settings)
    if qdrant_path is not None:
        return EmbeddedComponent(folder=qdrant_path)
    return SkippedComponent(reason="not configured")


def build_components(
    settings: BackupSettings, paths: SafePaths, *, skip_qdrant: bool
) -> list[BackupComponent]:
    """Every component in capture order (Qdrant last)."""
    return [
        DatabaseComponent(CACHE_DB, paths.cache_db),
        TreeComponent(STORAGE, paths.storage_dir),
        TreeComponent(UPLOADS, paths.uploads_dir),
        DatabaseComponent(ANALYTICS_DB, paths.analytics_db),
        TreeComponent(
            LOGS,
            paths.logs_dir,
            enabled=paths.include_logs,
            disabled_reason="not included (BACKUP_INCLUDE_LOGS=false)",
        ),
        qdrant_component(settings, paths.qdrant_path, skip=skip_qdrant),
    ]


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
