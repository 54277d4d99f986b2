"""Restoring Qdrant collections on a server: one snapshot upload per collection.

A restore replaces a collection (Qdrant does not merge). The server the snapshots go to is the
one in the CURRENT settings; the manifest's URL is only shown.
"""

from __future__ import annotations

from pathlib import Path

from persistence.components.models import (
    CollectionPlan,
    ComponentPlan,
    ComponentRestoreResult,
    PartialRestore,
)
from persistence.core.codec import readable_original
from persistence.core.errors import BackupError, QdrantError, VerificationError
from persistence.core.paths import join_inside
from persistence.core.progress import ComponentProgress
from persistence.core.settings import BackupSettings
from persistence.qdrant import (
    QdrantRestClient,
    minor_version_gap,
    upload_snapshot,
)
from persistence.qdrant.names import validate_collection_name
from persistence.qdrant.uploads import strict_name_problem
from persistence.store.manifest import ComponentRecord, QdrantCollectionRecord


def _client(settings: BackupSettings) -> QdrantRestClient:
    assert settings.qdrant_url is not None
    return QdrantRestClient(
        settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
    )


def _checked_collections(folder: Path, record: ComponentRecord) -> list[QdrantCollectionRecord]:
    """Collection names and snapshot paths from the manifest, validated before any use."""
    assert record.qdrant is not None
    for collection in record.qdrant.collections:
        try:
            validate_collection_name(collection.name)
            join_inside(folder, collection.file)
        except BackupError as exc:
            raise VerificationError(
                f"qdrant: {exc.message}; refusing to restore from this manifest"
            ) from None
    return list(record.qdrant.collections)


def plan_qdrant(
    settings: BackupSettings,
    folder: Path,
    record: ComponentRecord,
    *,
    if_empty: bool,
) -> ComponentPlan:
    qdrant = record.qdrant
    plan = ComponentPlan(name=record.name, action="leave")
    if qdrant is None or qdrant.mode == "not-configured":
        plan.reason = "no Qdrant data in this backup"
        return plan
    collections = _checked_collections(folder, record)
    if len(settings.qdrant_urls()) > 1:
        plan.problems.append("the backup holds single-node snapshots: set QDRANT_URL to one node")
        return plan
    for collection in collections:
        if (problem := strict_name_problem(collection.name)) is not None:
            plan.problems.append(problem)
    if not settings.qdrant_url:
        plan.problems.append("the backup holds server snapshots: set QDRANT_URL to restore them")
        return plan
    try:
        with _client(settings) as client:
            plan.target = client.shown_url
            version = client.server_version()
            client.require_single_node("refusing to restore into a cluster")
            existing = set(client.list_collections())
            counts = {
                c.name: client.count_points(c.name) for c in collections if c.name in existing
            }
    except QdrantError as exc:
        plan.problems.append(exc.message)
        return plan
    if qdrant.server_version and minor_version_gap(qdrant.server_version, version) > 1:
        plan.warnings.append(
            f"the backup was made on Qdrant {qdrant.server_version}, the server runs {version}: "
            "snapshots are only supported on the same or the next minor version"
        )
    plan.collections = [
        _collection_plan(c, c.name in existing, counts.get(c.name), if_empty=if_empty)
        for c in collections
    ]
    if any(c.action != "leave" for c in plan.collections):
        plan.action = "restore-missing" if if_empty else "restore"
        plan.bytes_to_write = sum(c.bytes for c in plan.collections if c.action != "leave")
        plan.bytes_changed = plan.bytes_to_write
        plan.warnings.append(
            "the server needs about twice the size of each recovered collection in free disk"
        )
    else:
        plan.reason = "every collection is present and not empty" if if_empty else "no collection"
    return plan


def _collection_plan(
    collection: QdrantCollectionRecord, present: bool, now: int | None, *, if_empty: bool
) -> CollectionPlan:
    # --if-empty leaves every collection that exists, unless it reports 0 points (an
    # unknown count is not taken for empty: replacing data by mistake costs too much).
    keep = if_empty and present and now != 0
    return CollectionPlan(
        name=collection.name,
        action="leave" if keep else ("replace" if present else "recover"),
        snapshot_file=collection.file,
        bytes=collection.size,
        points_expected=collection.points_count,
        points_now=now,
    )


def restore_qdrant(
    settings: BackupSettings,
    folder: Path,
    record: ComponentRecord,
    plan: ComponentPlan,
    meter: ComponentProgress,
) -> ComponentRestoreResult:
    """Apply the Qdrant part of a plan.

    Every collection of the plan is tried. If any failed or recovered another points count
    than the backup recorded, one QdrantError names all of them and the ones that were
    restored as recorded.
    """
    result = ComponentRestoreResult(name=record.name, ok=True, action=plan.action)
    assert record.qdrant is not None
    by_name = {c.name: c for c in _checked_collections(folder, record)}
    problems: list[str] = []
    with _client(settings) as client:
        for step in plan.collections:
            if step.action == "leave":
                continue
            # One collection's failure must not leave the others unrestored: go on, collect
            # the problems, and fail the component once every collection had its turn.
            problem = _restore_collection(client, folder, by_name[step.name], meter, result)
            if problem is not None:
                problems.append(problem)
    if problems:
        recovered = ", ".join(result.collections_recovered) or "none"
        raise PartialRestore(
            f"Qdrant: {len(problems)} collection(s) not restored as recorded: "
            f"{'; '.join(problems)}; restored as recorded: {recovered}",
            result,
        )
    return result


def _restore_collection(
    client: QdrantRestClient,
    folder: Path,
    recorded: QdrantCollectionRecord,
    meter: ComponentProgress,
    result: ComponentRestoreResult,
) -> str | None:
    """Upload one collection's snapshot; what went wrong, or None when it holds what the
    backup recorded."""
    name = recorded.name
    meter.advance(message=f"uploading {name}")
    try:
        with readable_original(join_inside(folder, recorded.file), recorded.codec) as (plain, _):
            uploaded = upload_snapshot(client, name, plain, recorded.content_sha256, "snapshot")
        if uploaded.warning:
            result.warnings.append(f"{name}: {uploaded.warning}")
        points = client.count_points(name)  # info's count is approximate
    except QdrantError as exc:
        return f"'{name}' failed: {exc.message}"
    meter.advance(bytes_done=recorded.size, files_done=1)
    result.bytes_written += recorded.size
    if recorded.points_count is not None and points != recorded.points_count:
        return (
            f"'{name}' recovered {points} points, the backup recorded "
            f"{recorded.points_count} (counted on the live collection right after its "
            "snapshot was made)"
        )
    result.collections_recovered.append(name)
    return None
