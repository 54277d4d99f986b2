"""snapshot_on_start and the `snapshot` command."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from persistence.backup import startup
from persistence.core.errors import ConfigError
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault
from tests.restore.support import cli_env
from tests.support.cli import run_json
from tests.support.settings import settings_for

SLOW = 0.5  # seconds the stand-in takes to create a snapshot, where a test needs it slow


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    startup.forget_start_snapshot()
    yield
    startup.forget_start_snapshot()


def test_unwritable_directory_raises_at_start(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    blocker = tmp_path / "data" / "not-a-folder"
    blocker.write_text("a file where the folder's parent should be", encoding="utf-8")
    settings = settings_for(
        "http://127.0.0.1:9",
        data=tmp_path / "data",
        qdrant_snapshot_on_start=True,
        qdrant_snapshot_dir=blocker / "snapshots",
    )
    with pytest.raises(ConfigError, match="cannot be created or written"):
        startup.snapshot_on_start(settings)


def test_qdrant_failure_is_a_failed_status_not_an_exception(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=24)
    qdrant_standin.fail("POST", r"/collections/docs/snapshots", 500, "disk on fire", times=5)
    settings = settings_for(
        qdrant_standin.url,
        data=tmp_path / "data",
        qdrant_snapshot_on_start=True,
        qdrant_snapshot_dir=Path("snaps"),
    )
    report = startup.snapshot_on_start(settings)
    assert not report.ok
    [status] = report.targets
    assert (status.target, status.status) == ("docs", "failed")
    assert status.error is not None and "HTTP 500" in status.error
    assert startup.snapshot_on_start(settings) is report, "once per process"


def test_snapshot_on_start_writes_the_file(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    collection = qdrant_standin.add_collection("docs", points=24)
    assert collection.archive is not None
    # A slow snapshot on the server: the reported duration must include the wait for it.
    qdrant_standin.inject(Fault("POST", r"/collections/docs/snapshots", delay_seconds=SLOW))
    settings = settings_for(
        qdrant_standin.url,
        data=tmp_path / "data",
        qdrant_snapshot_on_start=True,
        qdrant_snapshot_dir=Path("snaps"),
    )
    clock = time.monotonic()
    report = startup.snapshot_on_start(settings)
    elapsed = time.monotonic() - clock
    assert report.ok and report.enabled
    [status] = report.targets
    assert status.status == "completed"
    assert SLOW <= status.duration_seconds <= report.duration_seconds <= elapsed
    assert status.path is not None
    written = Path(status.path)
    assert written.parent == tmp_path / "data" / "snaps" / "docs"
    data = written.read_bytes()
    assert len(data) == status.bytes == collection.archive.size
    assert hashlib.sha256(data).hexdigest() == status.sha256 == collection.archive.sha256
    assert qdrant_standin.snapshot_names("docs") == [], "the server copy is deleted"


def test_disabled_does_nothing(tmp_path: Path) -> None:
    report = startup.snapshot_on_start(settings_for(data=tmp_path / "data"))
    assert report.ok and not report.enabled and report.targets == []
    assert not (tmp_path / "data").exists()


def test_snapshot_command_json(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    qdrant_standin.add_collection("docs", points=24)
    qdrant_standin.add_collection("faq", points=26)
    (tmp_path / "data").mkdir()
    env = cli_env(tmp_path / "data", qdrant_standin.url, QDRANT_SNAPSHOT_DIR="snaps")
    code, report = run_json("snapshot", env=env, cwd=tmp_path)
    assert code == 0, report
    targets = report["targets"]
    assert isinstance(targets, list)
    assert sorted((t["target"], t["status"]) for t in targets) == [
        ("docs", "completed"),
        ("faq", "completed"),
    ]
    assert all(Path(t["path"]).stat().st_size == t["bytes"] > 0 for t in targets)
