"""Whole commands against a stand-in that behaves like the real server: orphans after a
SIGKILL, start-up snapshots next to a backup, restores and drills that fail, exact counts."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from persistence import service
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault
from tests.restore.support import cli_env, latest_backup
from tests.support.cli import BACKUP_SCRIPT, run_json
from tests.support.settings import settings_for

CREATE = r"/collections/docs/snapshots"


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    return data


def test_sigkill_mid_create_leaves_an_orphan_the_next_backup_removes(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=21)
    data = _data(tmp_path)
    env = cli_env(data, qdrant_standin.url)
    qdrant_standin.inject(Fault("POST", CREATE, delay_seconds=2.0))
    child = subprocess.Popen(
        [sys.executable, str(BACKUP_SCRIPT), "create-backup", "--json"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    until = time.monotonic() + 30
    while not qdrant_standin.state.requests_to("POST", CREATE) and time.monotonic() < until:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    until = time.monotonic() + 5
    while not qdrant_standin.snapshot_names("docs") and time.monotonic() < until:
        time.sleep(0.05)
    orphan = qdrant_standin.snapshot_names("docs")
    assert len(orphan) == 1, "the server finished the create the killed run asked for"
    code, result = run_json("create-backup", env=env, cwd=tmp_path)
    assert code == 0, result
    assert result["orphans_removed"] == orphan
    assert qdrant_standin.snapshot_names("docs") == []


def test_two_start_up_snapshots_and_a_backup_at_once_never_collide(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=21)
    expected = hashlib.sha256(qdrant_standin.archive_bytes("docs")).hexdigest()
    data = _data(tmp_path)
    settings = settings_for(
        data=data, url=qdrant_standin.url, qdrant_snapshot_dir=data / "snaps", lock_timeout=30.0
    )
    # Every create takes a moment, so unserialised runs would overlap in one second.
    qdrant_standin.inject(Fault("POST", CREATE, delay_seconds=0.4, times=10))
    reports: list[object] = []
    threads = [
        threading.Thread(target=lambda: reports.append(service.snapshot_now(settings))),
        threading.Thread(target=lambda: reports.append(service.snapshot_now(settings))),
        threading.Thread(target=lambda: reports.append(service.create_backup(settings))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(reports) == 3
    assert qdrant_standin.state.same_second_collisions == 0
    files = [*(data / "snaps").rglob("*.snapshot"), *(data / "backups").rglob("*.snapshot")]
    assert files, "at least one run captured docs"
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected, path
    assert qdrant_standin.snapshot_names("docs") == []


def test_restore_into_a_collection_with_another_config_fails_and_leaves_nothing(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=21, dim=4)
    data = _data(tmp_path)
    settings = settings_for(data=data, url=qdrant_standin.url)
    assert service.create_backup(settings).ok
    qdrant_standin.add_collection("docs", points=5, dim=8)  # recreated with other vectors
    result = service.restore_backup(settings, None, latest=True, only=["qdrant"])
    assert not result.ok and result.error is not None
    assert "not compatible with existing collection" in result.error
    assert qdrant_standin.snapshot_names("docs") == [], "the kept upload was deleted"


def test_a_failed_drill_leaves_no_scratch_collection_and_no_file(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=21)
    data = _data(tmp_path)
    settings = settings_for(data=data, url=qdrant_standin.url)
    assert service.create_backup(settings).ok
    backup = latest_backup(settings)
    qdrant_standin.fail("POST", r"/collections/verify-drill-.*/snapshots/upload", 500, "boom")
    report = service.verify_backup(settings, backup.name, drill=True)
    assert not report.ok
    with qdrant_standin.state.lock:
        assert sorted(qdrant_standin.state.collections) == ["docs"]
        assert qdrant_standin.state.stray_uploads == {}
    assert qdrant_standin.snapshot_names("docs") == []


def test_counts_are_exact_where_info_is_approximate(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=21).info_points = 19
    qdrant_standin.state.info_offset = -2  # every recovered collection, too
    data = _data(tmp_path)
    settings = settings_for(data=data, url=qdrant_standin.url)
    assert service.create_backup(settings).ok
    backup = latest_backup(settings)
    manifest = (backup / "manifest.json").read_text()
    assert '"points_count": 21' in manifest and '"points_count_exact": true' in manifest
    drill = service.verify_backup(settings, backup.name, drill=True)
    assert drill.ok, drill.problems
    restored = service.restore_backup(settings, None, latest=True, only=["qdrant"])
    assert restored.ok, restored.error
    env = cli_env(data, qdrant_standin.url)
    code, plan = run_json("restore-backup", "--latest", "--dry-run", env=env, cwd=tmp_path)
    assert code == 0, plan
