"""Health of the Qdrant side for the panel: reachable or not, version, collections.

Read-only and quick (a short timeout): the panel calls it when the page opens, never in a
backup run. The API key is only ever sent as a header, never part of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from persistence.core.errors import BackupError
from persistence.core.settings import BackupSettings, redact_url

# A health probe must not hang the page; a backup run uses QDRANT_TIMEOUT instead.
PROBE_TIMEOUT_SECONDS = 3.0
EMBEDDED_COLLECTIONS_DIR = "collection"


class QdrantMode(StrEnum):
    SERVER = "server"
    EMBEDDED = "embedded"
    NOT_CONFIGURED = "not configured"


@dataclass(frozen=True)
class QdrantHealth:
    mode: QdrantMode
    where: str | None = None  # redacted URL, or the embedded folder
    reachable: bool | None = None  # None when there is no server to reach
    version: str | None = None
    collections: tuple[str, ...] = ()
    error: str | None = None

    def describe(self) -> str:
        """One line for the health row."""
        if self.mode is QdrantMode.NOT_CONFIGURED:
            return "not configured (set QDRANT_URL or QDRANT_PATH to back up vectors)"
        if self.mode is QdrantMode.EMBEDDED:
            found = self._collections_text()
            return f"embedded at {self.where}" + (f" · {found}" if found else "")
        if not self.reachable:
            return f"unreachable at {self.where}: {self.error}"
        return f"reachable at {self.where} · version {self.version} · {self._collections_text()}"

    def _collections_text(self) -> str:
        if self.error:
            return self.error
        if not self.collections:
            return "no collections"
        noun = "collection" if len(self.collections) == 1 else "collections"
        return f"{len(self.collections)} {noun}: {', '.join(self.collections)}"


def qdrant_health(
    settings: BackupSettings, *, timeout: float = PROBE_TIMEOUT_SECONDS
) -> QdrantHealth:
    """Probe the configured Qdrant; never raises for an unreachable or failing server."""
    if settings.qdrant_url:
        return _server_health(settings, timeout)
    resolved = settings.resolved()
    if resolved.qdrant_path is not None:
        return _embedded_health(resolved.qdrant_path)
    return QdrantHealth(mode=QdrantMode.NOT_CONFIGURED)


def _server_health(settings: BackupSettings, timeout: float) -> QdrantHealth:
    assert settings.qdrant_url is not None
    where = redact_url(settings.qdrant_url)
    try:
        from persistence.qdrant import QdrantRestClient  # httpx: only with a server to probe

        with QdrantRestClient(
            settings.qdrant_urls()[0],  # a cluster: any node answers for the collections
            api_key=settings.qdrant_api_key,
            timeout=min(timeout, settings.qdrant_timeout),
        ) as client:
            version = client.server_version()
            collections = tuple(sorted(client.list_collections()))
    except BackupError as exc:
        return QdrantHealth(mode=QdrantMode.SERVER, where=where, reachable=False, error=exc.message)
    return QdrantHealth(
        mode=QdrantMode.SERVER,
        where=where,
        reachable=True,
        version=version,
        collections=collections,
    )


def _embedded_health(root: Path) -> QdrantHealth:
    folder = str(root)
    if not root.is_dir():
        return QdrantHealth(
            mode=QdrantMode.EMBEDDED, where=folder, error="the folder does not exist yet"
        )
    listing = root / EMBEDDED_COLLECTIONS_DIR
    try:
        names = tuple(sorted(p.name for p in listing.iterdir() if p.is_dir()))
    except FileNotFoundError:
        names = ()
    except OSError as exc:
        return QdrantHealth(
            mode=QdrantMode.EMBEDDED, where=folder, error=f"cannot list: {exc.strerror}"
        )
    return QdrantHealth(mode=QdrantMode.EMBEDDED, where=folder, collections=names)
