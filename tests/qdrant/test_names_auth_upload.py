"""Names that need percent-encoding, URL credentials, count timing, the uploaded copy's cleanup."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from persistence.core.errors import QdrantError
from persistence.qdrant import QdrantRestClient, upload_snapshot
from persistence.qdrant.names import validate_collection_name
from persistence.store.manifest import ComponentStatus
from tests.qdrant.support import capture, leftover_parts
from tests.qdrant_standin.archive import build_archive
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault
from tests.support.settings import settings_for

# Characters Qdrant accepts in collection names that mean something in a URL.
RESERVED_NAMES = ["docs#v2", "50% off", "what?x=1", "with space", "plus+and&amp"]
PASSWORD = "secretpw"


def _client(standin: QdrantStandin, url: str | None = None) -> QdrantRestClient:
    return QdrantRestClient(url or standin.url, api_key=None, timeout=5.0)


# --- 1. names are percent-encoded per segment ------------------------------------------------


def test_reserved_characters_in_collection_names_are_backed_up(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    for index, name in enumerate(RESERVED_NAMES):
        qdrant_standin.add_collection(name, points=20 + index)
    qdrant_standin.add_collection("docs", points=3)  # what `docs#v2` used to reach
    record = capture(settings_for(qdrant_standin.url), tmp_path)
    assert record.status is ComponentStatus.CAPTURED
    assert record.qdrant is not None
    by_name = {c.name: c for c in record.qdrant.collections}
    assert set(by_name) == {*RESERVED_NAMES, "docs"}
    for index, name in enumerate(RESERVED_NAMES):
        coll = by_name[name]
        assert coll.points_count == 20 + index
        on_disk = tmp_path / "qdrant" / coll.file
        # The local folder is the collection name itself, one component below qdrant/.
        assert on_disk.parent == tmp_path / "qdrant" / name
        assert on_disk.read_bytes() == qdrant_standin.archive_bytes(name)
        assert coll.sha256 == hashlib.sha256(on_disk.read_bytes()).hexdigest()
        assert coll.server_snapshot_deleted
    assert all(names == [] for names in qdrant_standin.all_snapshot_names().values())
    assert not leftover_parts(tmp_path)
    # The server saw every name whole (the stand-in decodes each segment, as Qdrant does).
    creates = qdrant_standin.state.requests_to("POST", r"/collections/.+/snapshots")
    assert sorted(r.path.split("/")[2] for r in creates) == sorted({*RESERVED_NAMES, "docs"})
    assert all(r.status == 200 for r in qdrant_standin.requests)


def test_every_request_path_segment_is_encoded(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs#v2", points=11)
    with _client(qdrant_standin) as client:
        assert client.collection_info("docs#v2").points_count == 11
        snap = client.create_snapshot("docs#v2")
        assert snap is not None and snap.name.startswith("docs#v2-")
        with client.stream_snapshot("docs#v2", snap.name, read_timeout=5) as response:
            assert response.read() == qdrant_standin.archive_bytes("docs#v2")
        client.delete_snapshot("docs#v2", snap.name)
        archive = build_archive(points=17)
        local = tmp_path / "50% off#1.snapshot"
        local.write_bytes(archive.path.read_bytes())
        result = upload_snapshot(client, "50% off", local, archive.sha256)
        assert result.deleted_copy == local.name and result.warning is None
        assert client.collection_info("50% off").points_count == 17
        client.delete_collection("50% off")
    assert "50% off" not in qdrant_standin.state.collections
    assert qdrant_standin.snapshot_names("docs#v2") == []
    # On the wire: `#` as %23, `%` as %25, the space as %20; nothing reached `docs` alone.
    assert not qdrant_standin.state.requests_to("GET", r"/collections/docs")


def test_standin_decodes_each_path_segment(qdrant_standin: QdrantStandin) -> None:
    qdrant_standin.add_collection("docs#v2", points=9)
    qdrant_standin.add_collection("a/b", points=4)
    base = f"{qdrant_standin.url}/collections"
    answer = httpx.get(f"{base}/docs%23v2")
    assert answer.status_code == 200 and answer.json()["result"]["points_count"] == 9
    # An encoded slash stays inside its segment: one collection `a/b`, not a deeper route.
    answer = httpx.get(f"{base}/a%2Fb")
    assert answer.status_code == 200 and answer.json()["result"]["points_count"] == 4
    assert httpx.get(f"{base}/a%2Fb/snapshots").json()["result"] == []
    assert httpx.get(f"{base}/docs").status_code == 404


@pytest.mark.parametrize("name", [*RESERVED_NAMES, "docs#v2", "ünïcode", "tab-less~name"])
def test_reserved_characters_are_safe_folder_names(name: str) -> None:
    assert validate_collection_name(name) == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (".hidden", "starts with '.'"),
        ("..", "'..'"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("a\x00b", "NUL"),
        ("x" * 256, "longer than 255 bytes"),
    ],
)
def test_dangerous_folder_names_are_refused(name: str, problem: str) -> None:
    with pytest.raises(QdrantError, match=problem):
        validate_collection_name(name)


# --- 2. URL credentials never reach a log line or a message ----------------------------------


def _url_with_credentials(standin: QdrantStandin, password: str) -> str:
    return standin.url.replace("http://", f"http://backup:{password}@")


def _assert_hidden(caplog: pytest.LogCaptureFixture, texts: list[str], *secrets: str) -> None:
    assert caplog.records, "logging was captured"
    for secret in secrets:
        for record in caplog.records:
            assert secret not in record.getMessage(), record.getMessage()
            assert secret not in str(record.args)
        for text in texts:
            assert secret not in text, text


def test_url_credentials_go_as_basic_auth_and_never_leak(
    qdrant_standin: QdrantStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # In-process CLI runs of other tests quiet httpx (setup_logging); this test needs its log.
    caplog.set_level(logging.DEBUG, logger="httpx")
    qdrant_standin.state.basic_auth = ("backup", PASSWORD)
    qdrant_standin.add_collection("docs")
    url = _url_with_credentials(qdrant_standin, PASSWORD)
    record = capture(settings_for(url), tmp_path / "ok")
    assert record.status is ComponentStatus.CAPTURED
    assert record.qdrant is not None and record.qdrant.url is not None
    assert "***@" in record.qdrant.url
    assert all(r.headers["authorization"].startswith("Basic ") for r in qdrant_standin.requests)
    assert all(r.status == 200 for r in qdrant_standin.requests)
    texts = [record.model_dump_json()]
    # Failures: a server error, a wrong password (401), a server that is gone.
    qdrant_standin.fail("GET", r"/collections/docs/snapshots/.+", 500, "boom")
    with pytest.raises(QdrantError) as failed:
        capture(settings_for(url), tmp_path / "bad")
    texts += [str(failed.value), repr(failed.value)]
    with pytest.raises(QdrantError, match="HTTP 401") as refused:
        capture(settings_for(_url_with_credentials(qdrant_standin, "wrong-pw")), tmp_path / "c")
    texts.append(str(refused.value))
    qdrant_standin.stop()
    with pytest.raises(QdrantError, match="cannot connect") as gone:
        capture(settings_for(url), tmp_path / "gone")
    texts.append(str(gone.value))
    assert any("HTTP Request" in r.getMessage() for r in caplog.records), "httpx logged"
    _assert_hidden(caplog, texts, PASSWORD, f"backup:{PASSWORD}", "wrong-pw")


def test_percent_encoded_password_is_decoded_and_hidden(
    qdrant_standin: QdrantStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    qdrant_standin.state.basic_auth = ("backup", "p@ss:w/rd")
    qdrant_standin.add_collection("docs")
    url = _url_with_credentials(qdrant_standin, "p%40ss%3Aw%2Frd")
    with _client(qdrant_standin, url) as client:
        assert client.list_collections() == ["docs"]
        assert client.shown_url == qdrant_standin.url.replace("http://", "http://***@")
        qdrant_standin.fail("GET", r"/collections/docs", 500, "echo p@ss:w/rd p%40ss%3Aw%2Frd")
        with pytest.raises(QdrantError) as caught:
            client.collection_info("docs")
    _assert_hidden(caplog, [str(caught.value)], "p@ss:w/rd", "p%40ss%3Aw%2Frd")


def test_api_key_and_url_credentials_together(
    qdrant_standin: QdrantStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    qdrant_standin.state.basic_auth = ("backup", PASSWORD)
    qdrant_standin.set_keys(write="the-write-key")
    url = _url_with_credentials(qdrant_standin, PASSWORD)
    with QdrantRestClient(url, api_key=SecretStr("the-write-key"), timeout=5.0) as client:
        assert client.server_version() == "1.19.0"
    assert qdrant_standin.requests[-1].headers["api-key"] == "the-write-key"
    _assert_hidden(caplog, [], PASSWORD, "the-write-key")


# --- 3. the points count is read after the snapshot exists -----------------------------------


def test_points_count_is_read_after_the_snapshot_is_created(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=20)
    # 5 points are written just before the server takes the snapshot.
    qdrant_standin.inject(Fault("POST", r"/collections/docs/snapshots", points_before_snapshot=25))
    record = capture(settings_for(qdrant_standin.url), tmp_path)
    assert record.qdrant is not None
    coll = record.qdrant.collections[0]
    assert coll.points_count == 25, "the count must describe the snapshot, not the past"
    assert qdrant_standin.state.known_archives[coll.sha256].points_count == 25
    order = [
        (r.method, r.path)
        for r in qdrant_standin.requests
        if r.path.startswith("/collections/docs")
    ]
    create = order.index(("POST", "/collections/docs/snapshots"))
    info = order.index(("GET", "/collections/docs"))
    download = next(i for i, (m, p) in enumerate(order) if m == "GET" and p.endswith(".snapshot"))
    assert create < info < download


def test_a_failed_count_read_still_deletes_the_new_snapshot(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs")
    qdrant_standin.fail("GET", r"/collections/docs", 500, "busy")
    with pytest.raises(QdrantError, match="busy"):
        capture(settings_for(qdrant_standin.url), tmp_path)
    assert qdrant_standin.snapshot_names("docs") == []
    assert not any((tmp_path / "qdrant").rglob("*.snapshot*"))


# --- 4. only our own uploaded copy is deleted ------------------------------------------------


def _local_snapshot(tmp_path: Path, points: int = 20) -> tuple[Path, str]:
    archive = build_archive(points=points)
    local = tmp_path / "docs-1-2026-11-21-10-00-00.snapshot"
    local.write_bytes(archive.path.read_bytes())
    return local, archive.sha256


def test_another_clients_snapshot_is_never_deleted(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=5)
    local, sha = _local_snapshot(tmp_path)
    # The server keeps our upload unlisted; meanwhile another client snapshots the collection.
    qdrant_standin.inject(
        Fault(
            "POST",
            r"/collections/docs/snapshots/upload",
            snapshot_name="kept-without-suffix",
            other_snapshot="docs-other-client.snapshot",
        )
    )
    with _client(qdrant_standin) as client:
        result = upload_snapshot(client, "docs", local, sha)
    assert result.deleted_copy is None
    assert result.warning is not None and "docs-other-client.snapshot" in result.warning
    assert qdrant_standin.snapshot_names("docs") == ["docs-other-client.snapshot"]
    assert not qdrant_standin.state.requests_to("DELETE", r".*/snapshots/.*")


def test_a_copy_under_another_name_is_left_with_a_warning(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    local, sha = _local_snapshot(tmp_path)
    qdrant_standin.inject(
        Fault("POST", r"/collections/docs/snapshots/upload", snapshot_name="renamed.snapshot")
    )
    with _client(qdrant_standin) as client:
        result = upload_snapshot(client, "docs", local, sha)
    assert result.deleted_copy is None
    assert result.warning is not None and "renamed.snapshot" in result.warning
    assert qdrant_standin.snapshot_names("docs") == ["renamed.snapshot"]


def test_our_copy_is_deleted_and_a_concurrent_one_kept(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=5)
    local, sha = _local_snapshot(tmp_path)
    qdrant_standin.inject(
        Fault(
            "POST",
            r"/collections/docs/snapshots/upload",
            other_snapshot="docs-other-client.snapshot",
        )
    )
    with _client(qdrant_standin) as client:
        result = upload_snapshot(client, "docs", local, sha)
    assert result.deleted_copy == local.name and result.warning is None
    assert qdrant_standin.snapshot_names("docs") == ["docs-other-client.snapshot"]
