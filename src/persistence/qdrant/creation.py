"""Creating a server-side snapshot so that it can never be orphaned, and sweeping orphans.

Facts from Qdrant's source (qdrant/qdrant v1.19.0) this module is built on:
- the create runs in a spawned task that finishes even when the client gave up
  (`src/actix/helpers.rs`, `time_or_accept`), so a timed-out create (or a proxy's 502/504)
  is a snapshot on its way: we poll the list for it instead of asking again;
- a snapshot appears in the list only once written (it is built under a temporary name and
  moved into place: `lib/collection/src/collection/snapshots.rs`);
- names have one-second resolution, `<collection>-<peer>-<YYYY-MM-DD-HH-MM-SS>.snapshot`,
  and a second create in the same second replaces the first (`snapshots.rs`,
  `lib/collection/src/common/snapshots_manager.rs`): we never start a create in the second
  of the newest existing snapshot, by the server's clock.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from persistence.core.errors import QdrantError
from persistence.qdrant.actions import SnapshotInfo, SnapshotListing
from persistence.qdrant.client import QdrantRestClient
from persistence.qdrant.journal import JournalEntry, SnapshotJournal
from persistence.qdrant.transport import QdrantStatusError

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.25
_STAMP = re.compile(r"-(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})\.snapshot$")
_SAME_SECOND_TRIES = 8
HTTP_NOT_FOUND = 404


@dataclass(frozen=True)
class CreatePolicy:
    deadline: float  # QDRANT_SNAPSHOT_DEADLINE: how long a snapshot may take to appear
    journal: SnapshotJournal | None = None


@dataclass(frozen=True)
class CreatedSnapshot:
    info: SnapshotInfo
    journal_id: str | None


@dataclass(frozen=True)
class _SweepStep:
    removed: str | None  # the snapshot deleted
    settled: bool  # whether the journal entry can go


@dataclass(frozen=True)
class OrphanSweep:
    removed: list[str] = field(default_factory=lambda: [])
    warnings: list[str] = field(default_factory=lambda: [])


def create_snapshot(
    client: QdrantRestClient, collection: str, policy: CreatePolicy, shard: int | None = None
) -> CreatedSnapshot:
    """Create one snapshot, journaled before the request; wait for it if the answer is late."""
    listing = _listing_in_a_fresh_second(client, collection, shard)
    before = [snap.name for snap in listing.snapshots]
    journal_id = None
    if policy.journal is not None:
        journal_id = policy.journal.record_request(client.shown_url, collection, shard, before)
    created = client.create_snapshot(collection, shard)
    if created is None:
        created = _wait_for_new(client, collection, shard, set(before), policy.deadline)
    if policy.journal is not None and journal_id is not None:
        policy.journal.record_name(journal_id, created.name)
    return CreatedSnapshot(info=created, journal_id=journal_id)


def snapshot_stamp(name: str) -> datetime | None:
    found = _STAMP.search(name)
    if found is None:
        return None
    return datetime.strptime(found[1], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)


def _listing_in_a_fresh_second(
    client: QdrantRestClient, collection: str, shard: int | None
) -> SnapshotListing:
    for _ in range(_SAME_SECOND_TRIES):
        listing = client.list_snapshots_dated(collection, shard)
        now = listing.server_now or datetime.now(UTC)
        stamps = [s for s in (snapshot_stamp(x.name) for x in listing.snapshots) if s]
        newest = max(stamps, default=None)
        if newest is None or newest < now.replace(microsecond=0):
            return listing
        # The newest snapshot was made this very second (or the clocks disagree): a create
        # now could get its name and overwrite it.
        time.sleep(1.05)
    raise QdrantError(
        f"Qdrant collection '{collection}': another snapshot keeps being created in the "
        "current second; not starting a create that would overwrite it"
    )


def _wait_for_new(
    client: QdrantRestClient,
    collection: str,
    shard: int | None,
    before: set[str],
    deadline: float,
) -> SnapshotInfo:
    until = time.monotonic() + deadline
    prefix = f"{collection}-"
    while True:
        fresh = [
            snap
            for snap in client.list_snapshots(collection, shard)
            if snap.name not in before and snap.name.startswith(prefix)
        ]
        if fresh:
            # Our create came first after `before` was read: the oldest newcomer is ours.
            return min(fresh, key=lambda snap: (snap.creation_time or "", snap.name))
        if time.monotonic() >= until:
            raise QdrantError(
                f"Qdrant collection '{collection}': the snapshot did not appear within "
                f"{deadline:g} s (QDRANT_SNAPSHOT_DEADLINE); it is noted in the snapshot "
                "journal and the next run deletes it once it appears"
            )
        time.sleep(POLL_INTERVAL)


def sweep_orphans(
    client: QdrantRestClient, journal: SnapshotJournal, deadline: float
) -> OrphanSweep:
    """Delete the snapshots earlier runs asked this server for and never cleaned up."""
    sweep = OrphanSweep()
    for entry in journal.leftovers(client.shown_url, deadline):
        try:
            step = _sweep_one(client, entry, deadline)
        except QdrantError as exc:
            sweep.warnings.append(f"leftover snapshot of '{entry.collection}': {exc.message}")
            continue
        if step.removed is not None:
            sweep.removed.append(step.removed)
            logger.info("qdrant: removed leftover snapshot %s", step.removed)
        if step.settled:
            journal.forget(entry.id)
    return sweep


def _sweep_one(client: QdrantRestClient, entry: JournalEntry, deadline: float) -> _SweepStep:
    try:
        listed = client.list_snapshots(entry.collection, entry.shard)
    except QdrantStatusError as exc:
        if exc.status == HTTP_NOT_FOUND:
            return _SweepStep(None, settled=True)  # the collection (and its snapshots) is gone
        raise
    names = {snap.name for snap in listed}
    if entry.name is not None:
        victim: str | None = entry.name if entry.name in names else None
    else:
        prefix = f"{entry.collection}-"
        fresh = sorted(
            (s for s in listed if s.name not in entry.before and s.name.startswith(prefix)),
            key=lambda snap: (snap.creation_time or "", snap.name),
        )
        victim = fresh[0].name if fresh else None
    if victim is None:
        # Not there (yet): a create still running keeps its entry until the deadline.
        settled = entry.name is not None or time.time() > entry.requested_at + deadline
        return _SweepStep(None, settled=settled)
    client.delete_snapshot(entry.collection, victim, entry.shard)
    return _SweepStep(victim, settled=True)
