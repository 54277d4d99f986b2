"""A restore drill of one snapshot: recover it into a scratch collection, count, remove all.

The scratch collection is created first, with the recorded vectors and shard count, so that
the uploaded file always lands in a collection that exists: Qdrant keeps an upload after a
failed recovery (`src/actix/api/snapshot_api.rs`), and only a file of an existing collection
can be deleted over the API. Whatever fails, the uploaded copy and the scratch collection go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import JsonValue

from persistence.core.errors import QdrantError
from persistence.qdrant.client import QdrantRestClient
from persistence.qdrant.uploads import QdrantUploadError, upload_snapshot
from persistence.store.manifest import QdrantCollectionRecord


@dataclass(frozen=True)
class DrillOutcome:
    points: int | None  # exact count recovered on the server; None when the drill failed
    failure: str | None  # why the drill failed
    notes: list[str] = field(default_factory=lambda: [])
    leftovers: list[str] = field(default_factory=lambda: [])  # what could not be removed


def scratch_body(record: QdrantCollectionRecord) -> JsonValue | None:
    """The create-collection body matching the snapshot, when the manifest says enough."""
    if not isinstance(record.vectors_config, dict):
        return None
    body: dict[str, JsonValue] = {"vectors": record.vectors_config}
    if record.shard_number is not None:
        body["shard_number"] = record.shard_number
    return body


def drill_snapshot(
    client: QdrantRestClient, snapshot: Path, record: QdrantCollectionRecord, scratch: str
) -> DrillOutcome:
    notes: list[str] = []
    leftovers: list[str] = []
    created = False
    points: int | None = None
    failure: str | None = None
    try:
        body = scratch_body(record)
        if body is not None:
            client.create_collection(scratch, body)
            created = True
        uploaded = upload_snapshot(client, scratch, snapshot, record.sha256, "snapshot")
        created = True
        if uploaded.warning:
            notes.append(uploaded.warning)
        points = client.count_points(scratch)
    except QdrantUploadError as exc:
        if exc.left_on_server:
            leftovers.append(f"uploaded file {exc.left_on_server}")
        failure = exc.message
    except QdrantError as exc:
        failure = exc.message
    finally:
        leftovers.extend(_remove_scratch(client, scratch, created))
    return DrillOutcome(points=points, failure=failure, notes=notes, leftovers=leftovers)


def _remove_scratch(client: QdrantRestClient, scratch: str, created: bool) -> list[str]:
    try:
        if created or scratch in client.list_collections():
            client.delete_collection(scratch)
    except QdrantError as exc:
        return [f"scratch collection {scratch} ({exc.message})"]
    return []
