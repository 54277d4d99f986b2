"""Qdrant collections of a backup recovered under new names (`<prefix><name>`), beside the
live ones: a name that already exists on the server is refused, never replaced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from persistence.core.errors import ConfigError
from persistence.core.paths import join_inside
from persistence.core.settings import BackupSettings
from persistence.qdrant.client import QdrantRestClient
from persistence.qdrant.names import validate_collection_name
from persistence.qdrant.uploads import upload_snapshot
from persistence.restore.extract_models import ExtractedCollection
from persistence.store.manifest import QdrantCollectionRecord


@dataclass
class Recovered:
    collections: list[ExtractedCollection] = field(
        default_factory=lambda: list[ExtractedCollection]()
    )
    warnings: list[str] = field(default_factory=lambda: list[str]())


def recover_with_prefix(
    settings: BackupSettings,
    folder: Path,
    wanted: list[QdrantCollectionRecord],
    prefix: str,
    dry_run: bool,
) -> Recovered:
    if not settings.qdrant_url:
        raise ConfigError("--qdrant-prefix recovers collections on a server: set QDRANT_URL")
    names = {c.name: validate_collection_name(prefix + c.name) for c in wanted}
    done = Recovered()
    with QdrantRestClient(
        settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
    ) as client:
        existing = set(client.list_collections())
        taken = sorted(new for new in names.values() if new in existing)
        if taken:
            raise ConfigError(
                f"collection {taken[0]} already exists on the server: choose another "
                "--qdrant-prefix (an existing collection is never replaced)"
            )
        for record in wanted:
            new_name = names[record.name]
            if dry_run:
                done.collections.append(
                    ExtractedCollection(
                        name=record.name, restored_as=new_name, points_count=record.points_count
                    )
                )
                continue
            uploaded = upload_snapshot(
                client, new_name, join_inside(folder, record.file), record.sha256
            )
            if uploaded.warning:
                done.warnings.append(f"{new_name}: {uploaded.warning}")
            count = client.count_points(new_name)  # info's count is approximate
            if record.points_count is not None and count != record.points_count:
                done.warnings.append(
                    f"{new_name} holds {count} points, the backup recorded {record.points_count}"
                )
            done.collections.append(
                ExtractedCollection(name=record.name, restored_as=new_name, points_count=count)
            )
    return done
