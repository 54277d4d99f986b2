"""Slow snapshot creates never leave orphans: polled for, journaled, swept by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from persistence.qdrant import QdrantRestClient, SnapshotJournal, sweep_orphans
from persistence.qdrant.snapshots import fetch_snapshot
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault

CREATE = r"/collections/docs/snapshots"


def _fetch(
    standin: QdrantStandin, root: Path, *, timeout: float, deadline: float = 30.0
) -> tuple[str, int | None]:
    journal = SnapshotJournal(root)
    with QdrantRestClient(standin.url, api_key=None, timeout=timeout) as client:
        fetched = fetch_snapshot(
            client,
            "docs",
            root / "staging",
            poll_for=deadline,
            deadline_seconds=30.0,
            delete_server_copy=True,
            journal=journal,
        )
    return fetched.snapshot.name, fetched.exact_count


def _wait_until_empty(standin: QdrantStandin, seconds: float) -> bool:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if standin.snapshot_names("docs") == []:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", CREATE, delay_seconds=2.0),  # slower than QDRANT_TIMEOUT
        Fault("POST", CREATE, delay_seconds=1.5, proxy_status=504),  # a proxy gives up
        Fault("POST", CREATE, delay_seconds=1.5, proxy_status=502),
    ],
    ids=["timeout", "proxy-504", "proxy-502"],
)
def test_slow_create_gives_exactly_one_snapshot_and_leaves_none(
    qdrant_standin: QdrantStandin, tmp_path: Path, fault: Fault
) -> None:
    qdrant_standin.add_collection("docs", points=20)
    qdrant_standin.inject(fault)
    name, _count = _fetch(qdrant_standin, tmp_path, timeout=0.5)
    assert (tmp_path / "staging" / name).stat().st_size > 0
    creates = qdrant_standin.state.requests_to("POST", CREATE)
    assert len(creates) == 1, "a late create is waited for, never asked again"
    assert _wait_until_empty(qdrant_standin, 15.0), "no snapshot made by the tool remains"
    assert not (tmp_path / ".qdrant-snapshot-journal.json").exists()


def test_a_run_killed_mid_create_leaves_an_orphan_the_next_run_removes(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=20)
    qdrant_standin.inject(Fault("POST", CREATE, delay_seconds=1.5))
    script = (
        "import sys; from pathlib import Path\n"
        "from persistence.qdrant import QdrantRestClient, SnapshotJournal\n"
        "from persistence.qdrant.snapshots import fetch_snapshot\n"
        "root = Path(sys.argv[2])\n"
        "with QdrantRestClient(sys.argv[1], api_key=None, timeout=30) as c:\n"
        "    fetch_snapshot(c, 'docs', root / 's', poll_for=60, deadline_seconds=60,\n"
        "                   delete_server_copy=True, journal=SnapshotJournal(root))\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, qdrant_standin.url, str(tmp_path)])
    journal_file = tmp_path / ".qdrant-snapshot-journal.json"
    until = time.monotonic() + 10
    while not qdrant_standin.state.requests_to("POST", CREATE) and time.monotonic() < until:
        time.sleep(0.02)
    assert journal_file.exists(), "the request is journaled before it is sent"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # The server finishes the create anyway: an orphan.
    until = time.monotonic() + 5
    while not qdrant_standin.snapshot_names("docs") and time.monotonic() < until:
        time.sleep(0.05)
    orphan = qdrant_standin.snapshot_names("docs")
    assert len(orphan) == 1
    with QdrantRestClient(qdrant_standin.url, api_key=None, timeout=5) as client:
        swept = sweep_orphans(client, SnapshotJournal(tmp_path), 3600)
    assert swept.removed == orphan and swept.warnings == []
    assert qdrant_standin.snapshot_names("docs") == []
    assert not journal_file.exists()


def test_sweep_keeps_waiting_for_a_create_still_running_and_spares_others(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=20)
    other = httpx.post(f"{qdrant_standin.url}/collections/docs/snapshots", timeout=5)
    theirs = other.json()["result"]["name"]
    journal = SnapshotJournal(tmp_path)
    # A dead run (pid 999999999) asked for a snapshot that has not appeared yet; `theirs`
    # existed before its request.
    entry = journal.record_request(qdrant_standin.url, "docs", None, [theirs])
    path = tmp_path / ".qdrant-snapshot-journal.json"
    path.write_text(path.read_text().replace(f'"pid": {os.getpid()}', '"pid": 999999999'))
    with QdrantRestClient(qdrant_standin.url, api_key=None, timeout=5) as client:
        swept = sweep_orphans(client, journal, 3600)
    assert swept.removed == []
    assert [e.id for e in journal.leftovers(qdrant_standin.url, 3600)] == [entry]
    assert qdrant_standin.snapshot_names("docs") == [theirs]
    assert journal.leftovers("http://elsewhere:6333", 3600) == []


def test_no_create_in_the_second_of_the_newest_snapshot(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=20)
    # Another client's snapshot, made this very second (same name rule as ours).
    made = httpx.post(f"{qdrant_standin.url}/collections/docs/snapshots", timeout=5)
    theirs = made.json()["result"]["name"]
    name, _ = _fetch(qdrant_standin, tmp_path, timeout=5)
    assert name != theirs
    assert qdrant_standin.snapshot_names("docs") == [theirs], "theirs survives, intact"
    assert qdrant_standin.state.same_second_collisions == 0


def test_the_stand_in_really_collides_in_one_second(qdrant_standin: QdrantStandin) -> None:
    """What the rule above prevents: the later create replaces the earlier one."""
    qdrant_standin.add_collection("docs", points=20)
    qdrant_standin.inject(Fault("POST", CREATE, delay_seconds=0.5))
    url = f"{qdrant_standin.url}/collections/docs/snapshots"
    while time.time() % 1 > 0.3:  # start both early in one second
        time.sleep(0.01)
    first = httpx.post(url, params={"wait": "false"}, timeout=5)
    second = httpx.post(url, timeout=5)
    assert (first.status_code, second.status_code) == (202, 200)
    time.sleep(0.8)  # the first finishes in the background
    assert qdrant_standin.state.same_second_collisions == 1
    assert qdrant_standin.snapshot_names("docs") == [second.json()["result"]["name"]]
