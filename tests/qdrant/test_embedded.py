"""Embedded mode: qdrant-client local folders are copied under the client's own lock."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient, models

from persistence.core.errors import QdrantError
from persistence.qdrant import restore_embedded
from persistence.store.manifest import ComponentStatus
from tests.qdrant.support import capture
from tests.support.settings import settings_for

HOLDER = """
import sys
from qdrant_client import QdrantClient
client = QdrantClient(path=sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
client.close()
"""


def _make_local(path: Path, points: int) -> None:
    client = QdrantClient(path=str(path))
    try:
        client.create_collection(
            "notes", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE)
        )
        client.upsert(
            "notes",
            points=[
                models.PointStruct(id=i, vector=[0.1 * i, 0.2, 0.3, 0.4], payload={"n": i})
                for i in range(1, points + 1)
            ],
        )
    finally:
        client.close()


def _points(path: Path) -> dict[int, object]:
    client = QdrantClient(path=str(path))
    try:
        assert client.count("notes", exact=True).count > 0
        records, _ = client.scroll("notes", limit=1000, with_payload=True)
        return {int(r.id): r.payload for r in records}
    finally:
        client.close()


@pytest.fixture
def local_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "local-qdrant"
    _make_local(folder, points=15)
    return folder


@pytest.fixture
def held(local_folder: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(local_folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=30)


def test_embedded_copy_opens_with_the_same_points(local_folder: Path, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    record = capture(settings_for(None, qdrant_path=local_folder), staging)
    assert record.status is ComponentStatus.CAPTURED
    assert record.method == "embedded-copy"
    assert record.qdrant is not None and record.qdrant.mode == "embedded"
    copy = staging / "qdrant"
    paths = {f.path for f in record.files}
    assert ".lock" not in paths
    assert any(p.startswith("collection/notes/") for p in paths)
    for entry in record.files:
        assert (copy / entry.path).stat().st_size == entry.size
        assert (copy / entry.path).stat().st_mode & 0o777 == 0o600
    assert record.bytes == sum(f.size for f in record.files)
    assert _points(copy) == _points(local_folder)
    assert len(_points(copy)) == 15


def test_embedded_copy_refuses_while_an_app_holds_the_lock(
    local_folder: Path, tmp_path: Path, held: subprocess.Popen[str]
) -> None:
    assert held.poll() is None
    with pytest.raises(QdrantError, match=r"in use: another process .* holds qdrant-client's lock"):
        capture(settings_for(None, qdrant_path=local_folder), tmp_path / "staging")


def test_missing_embedded_folder_is_absent(tmp_path: Path) -> None:
    record = capture(settings_for(None, qdrant_path=tmp_path / "nope"), tmp_path / "staging")
    assert record.status is ComponentStatus.ABSENT


def test_restore_embedded_replaces_the_folder(local_folder: Path, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    capture(settings_for(None, qdrant_path=local_folder), staging)
    other = tmp_path / "other"
    _make_local(other, points=3)
    restore_embedded(staging / "qdrant", other)
    assert _points(other) == _points(local_folder)


def test_restore_embedded_refuses_while_held(
    local_folder: Path, tmp_path: Path, held: subprocess.Popen[str]
) -> None:
    backup = tmp_path / "backup"
    backup.mkdir()
    with pytest.raises(QdrantError, match="in use"):
        restore_embedded(backup, local_folder)
    assert held.poll() is None
