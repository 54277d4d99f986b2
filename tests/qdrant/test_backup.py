"""Server-mode capture against the stand-in: the happy path and its guarantees."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import httpx
import pytest

from persistence.components.base import CaptureContext
from persistence.components.registry import qdrant_component
from persistence.core.errors import QdrantError
from persistence.core.progress import ProgressStage
from persistence.store.manifest import ComponentStatus
from tests.qdrant.support import API_KEY, READ_KEY, Recorder, capture, leftover_parts
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault
from tests.support.settings import settings_for


def test_three_collections_are_captured_verified_and_cleaned(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=20)
    qdrant_standin.add_collection("faq-v2", points=7, dim=8)
    qdrant_standin.add_collection("images", points=30, shards=2)
    settings = settings_for(qdrant_standin.url)
    recorder = Recorder()
    component = qdrant_component(settings, settings.resolved().qdrant_path, skip=False)
    record = component.capture(CaptureContext(tmp_path / "qdrant", recorder))

    assert record.status is ComponentStatus.CAPTURED
    assert record.method == "server-snapshot"
    assert record.qdrant is not None and record.qdrant.mode == "server"
    assert record.qdrant.server_version == "1.19.0"
    assert record.qdrant.url == qdrant_standin.url
    by_name = {c.name: c for c in record.qdrant.collections}
    assert sorted(by_name) == ["docs", "faq-v2", "images"]
    assert by_name["docs"].points_count == 20
    assert by_name["faq-v2"].points_count == 7
    assert by_name["images"].points_count == 30
    assert by_name["faq-v2"].vectors_config == {"size": 8, "distance": "Cosine"}
    for name, coll in by_name.items():
        on_disk = tmp_path / "qdrant" / coll.file
        data = on_disk.read_bytes()
        assert data == qdrant_standin.archive_bytes(name)
        assert coll.sha256 == hashlib.sha256(data).hexdigest() == coll.server_checksum
        assert coll.size == len(data)
        assert coll.file == f"{name}/{coll.snapshot_name}"
        assert coll.server_snapshot_deleted
        assert on_disk.stat().st_mode & 0o777 == 0o600
        assert on_disk.parent.stat().st_mode & 0o777 == 0o700
    assert {f.path for f in record.files} == {c.file for c in by_name.values()}
    assert record.file_count == 3
    assert record.bytes == sum(c.size for c in by_name.values())
    assert qdrant_standin.all_snapshot_names() == {"docs": [], "faq-v2": [], "images": []}
    assert not leftover_parts(tmp_path)
    stages = [e.stage for e in recorder.events]
    assert stages[0] is ProgressStage.COMPONENT_STARTED
    assert stages[-1] is ProgressStage.COMPONENT_FINISHED
    assert recorder.events[-1].bytes_done == record.bytes
    # Every download asked for the raw bytes.
    downloads = qdrant_standin.state.requests_to("GET", r"/collections/[^/]+/snapshots/.+")
    assert len(downloads) == 3
    assert all(r.headers.get("accept-encoding") == "identity" for r in downloads)


def test_selected_collections_only(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        qdrant_standin.add_collection(name)
    record = capture(settings_for(qdrant_standin.url, qdrant_collections="c, a"), tmp_path)
    assert record.qdrant is not None
    assert [c.name for c in record.qdrant.collections] == ["c", "a"]


def test_empty_server_is_captured_with_a_warning(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    record = capture(settings_for(qdrant_standin.url), tmp_path)
    assert record.status is ComponentStatus.CAPTURED
    assert record.file_count == 0
    assert any("no collections" in w for w in record.warnings)


def test_compression_is_refused_and_bytes_match(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs")
    # The stand-in does gzip downloads for a client that allows it ...
    snap = httpx.post(f"{qdrant_standin.url}/collections/docs/snapshots").json()["result"]
    with httpx.stream(
        "GET",
        f"{qdrant_standin.url}/collections/docs/snapshots/{snap['name']}",
        headers={"Accept-Encoding": "gzip"},
    ) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join(response.iter_raw())
    assert raw != qdrant_standin.archive_bytes("docs")
    # ... and the component's download still holds exactly the snapshot.
    record = capture(settings_for(qdrant_standin.url), tmp_path)
    assert record.qdrant is not None
    coll = record.qdrant.collections[0]
    assert (tmp_path / "qdrant" / coll.file).read_bytes() == qdrant_standin.archive_bytes("docs")


def test_slow_create_yields_exactly_one_snapshot(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs")
    qdrant_standin.inject(Fault("POST", r"/collections/docs/snapshots", delay_seconds=1.2))
    record = capture(settings_for(qdrant_standin.url, qdrant_timeout=1.0), tmp_path)
    assert record.qdrant is not None
    coll = record.qdrant.collections[0]
    assert coll.server_snapshot_deleted
    assert (tmp_path / "qdrant" / coll.file).read_bytes() == qdrant_standin.archive_bytes("docs")
    creates = qdrant_standin.state.requests_to("POST", r"/collections/docs/snapshots")
    assert len(creates) == 1, "a timed-out create must not be retried"
    assert qdrant_standin.snapshot_names("docs") == []


def test_keep_server_snapshot_when_asked(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    qdrant_standin.add_collection("docs")
    record = capture(
        settings_for(qdrant_standin.url, qdrant_delete_server_snapshot=False), tmp_path
    )
    assert record.qdrant is not None
    coll = record.qdrant.collections[0]
    assert not coll.server_snapshot_deleted
    assert qdrant_standin.snapshot_names("docs") == [coll.snapshot_name]


def test_failed_delete_is_a_warning_not_a_failure(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs")
    qdrant_standin.fail("DELETE", r"/collections/docs/snapshots/.+", 500, "disk is on fire")
    record = capture(settings_for(qdrant_standin.url), tmp_path)
    assert record.status is ComponentStatus.CAPTURED
    assert record.qdrant is not None
    assert not record.qdrant.collections[0].server_snapshot_deleted
    assert len(record.warnings) == 1
    assert "docs" in record.warnings[0]
    assert "disk is on fire" in record.warnings[0]


def test_api_key_never_leaks(
    qdrant_standin: QdrantStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    qdrant_standin.set_keys(write=API_KEY, read=READ_KEY)
    qdrant_standin.add_collection("docs")
    qdrant_standin.fail("DELETE", r"/collections/docs/snapshots/.+", 500, "nope")
    caplog.set_level(logging.DEBUG)
    settings = settings_for(qdrant_standin.url, qdrant_api_key=API_KEY)
    record = capture(settings, tmp_path / "ok")
    assert all(r.headers.get("api-key") == API_KEY for r in qdrant_standin.requests)
    assert API_KEY not in record.model_dump_json()
    assert record.warnings  # a warning was written, and it holds no key
    # A failing run: the error message holds no key either.
    qdrant_standin.fail("GET", r"/collections/docs/snapshots/.+", 500, "boom")
    with pytest.raises(QdrantError) as caught:
        capture(settings, tmp_path / "bad")
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)
    assert API_KEY not in str(settings.redacted())
    assert caplog.records, "debug logging was captured"
    for line in caplog.records:
        assert API_KEY not in line.getMessage()


def test_wrong_key_and_read_only_key(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    qdrant_standin.set_keys(write=API_KEY, read=READ_KEY)
    qdrant_standin.add_collection("docs")
    with pytest.raises(QdrantError, match=r"HTTP 401: Invalid API key or JWT .*QDRANT_API_KEY"):
        capture(settings_for(qdrant_standin.url, qdrant_api_key="wrong"), tmp_path / "a")
    with pytest.raises(QdrantError, match="HTTP 401: Must provide an API key"):
        capture(settings_for(qdrant_standin.url), tmp_path / "b")
    with pytest.raises(QdrantError) as caught:
        capture(settings_for(qdrant_standin.url, qdrant_api_key=READ_KEY), tmp_path / "c")
    message = str(caught.value)
    assert "'docs'" in message and "HTTP 403" in message
    assert "this API key may not create snapshots (needs write access)" in message
    assert READ_KEY not in message


def test_cluster_is_refused(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    qdrant_standin.state.peer_count = 3
    qdrant_standin.add_collection("docs")
    with pytest.raises(QdrantError, match=r"cluster of 3 peers.*only the shards"):
        capture(settings_for(qdrant_standin.url), tmp_path)
    assert qdrant_standin.state.requests_to("POST", r".*/snapshots") == []


@pytest.mark.parametrize("hostile", ["../escape", "a/b", "back\\slash", "nul\x00byte", "x" * 300])
def test_hostile_collection_names_are_refused(
    qdrant_standin: QdrantStandin, tmp_path: Path, hostile: str
) -> None:
    qdrant_standin.add_collection("fine")
    qdrant_standin.add_collection(hostile)
    with pytest.raises(QdrantError, match="refusing Qdrant collection name"):
        capture(settings_for(qdrant_standin.url), tmp_path)
    assert qdrant_standin.state.requests_to("POST", r".*/snapshots") == []
    assert not list(tmp_path.rglob("escape"))


@pytest.mark.parametrize(
    "hostile", ["../../etc/cron.d/x.snapshot", "..snapshot", "a\\b.snapshot", "name.tar"]
)
def test_hostile_snapshot_names_are_refused_and_cleaned(
    qdrant_standin: QdrantStandin, tmp_path: Path, hostile: str
) -> None:
    qdrant_standin.add_collection("docs")
    qdrant_standin.inject(Fault("POST", r"/collections/docs/snapshots", snapshot_name=hostile))
    with pytest.raises(QdrantError, match="refusing snapshot name"):
        capture(settings_for(qdrant_standin.url), tmp_path)
    assert not any((tmp_path / "qdrant").rglob("*.snapshot*"))
    assert not any(tmp_path.rglob("cron.d"))


def test_skip_and_not_configured(tmp_path: Path) -> None:
    skipped = capture(settings_for("http://127.0.0.1:9"), tmp_path, skip=True)
    assert skipped.status is ComponentStatus.SKIPPED
    nothing = capture(settings_for(None), tmp_path)
    assert nothing.status is ComponentStatus.SKIPPED
    assert nothing.method == "not configured"
    assert nothing.qdrant is not None and nothing.qdrant.mode == "not-configured"
