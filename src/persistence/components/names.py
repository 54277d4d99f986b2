"""The component names: folder names inside a backup and keys of the manifest (a contract)."""

from __future__ import annotations

CACHE_DB = "cache_db"
STORAGE = "storage"
UPLOADS = "uploads"
ANALYTICS_DB = "analytics_db"
LOGS = "logs"
QDRANT_COMPONENT = "qdrant"

DATABASE_COMPONENTS: tuple[str, ...] = (CACHE_DB, ANALYTICS_DB)
# Every on-disk component, in capture order; Qdrant comes last.
FILE_COMPONENTS: tuple[str, ...] = (CACHE_DB, STORAGE, UPLOADS, ANALYTICS_DB, LOGS)
KNOWN_COMPONENTS: tuple[str, ...] = (*FILE_COMPONENTS, QDRANT_COMPONENT)
