"""One contract every remote honours, run against a folder, the GCS emulator and moto S3."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from persistence.remote.base import Remote, RemoteError
from persistence.remote.folder import FolderRemote
from persistence.remote.gcs import CHUNK_BYTES


def _file(tmp_path: Path, name: str, size: int) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _fetch(remote: Remote, key: str) -> bytes:
    sink = io.BytesIO()
    remote.download(key, sink)
    return sink.getvalue()


def test_put_stat_download_round_trip(remote: Remote, tmp_path: Path) -> None:
    path, sha = _file(tmp_path, "small.bin", 1234)
    seen: list[int] = []
    info = remote.put_file("a/b/small.bin", path, sha256=sha, on_bytes=seen.append)
    assert (info.key, info.size, info.sha256) == ("a/b/small.bin", 1234, sha)
    assert info.checksum is not None
    assert sum(seen) >= 1234
    stat = remote.stat("a/b/small.bin")
    assert stat is not None
    assert (stat.size, stat.sha256, stat.checksum) == (1234, sha, info.checksum)
    assert _fetch(remote, "a/b/small.bin") == path.read_bytes()


def test_large_file_goes_up_in_chunks_and_comes_back_identical(
    remote: Remote, tmp_path: Path
) -> None:
    path, sha = _file(tmp_path, "large.bin", 2 * CHUNK_BYTES + 12345)
    info = remote.put_file("large.bin", path, sha256=sha)
    assert info.size == path.stat().st_size
    target = tmp_path / "back.bin"
    with target.open("wb") as sink:
        remote.download("large.bin", sink)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_put_bytes_and_overwrite(remote: Remote) -> None:
    first, second = b'{"v": 1}\n', b'{"v": 2, "longer": true}\n'
    remote.put_bytes("m.json", first, sha256=hashlib.sha256(first).hexdigest())
    remote.put_bytes("m.json", second, sha256=hashlib.sha256(second).hexdigest())
    stat = remote.stat("m.json")
    assert stat is not None
    assert stat.size == len(second)
    assert stat.sha256 == hashlib.sha256(second).hexdigest()
    assert _fetch(remote, "m.json") == second


def test_stat_of_missing_object_is_none(remote: Remote) -> None:
    assert remote.stat("nothing/here.bin") is None


def test_list_by_prefix(remote: Remote) -> None:
    for key in ("x/1.bin", "x/sub/2.bin", "y/3.bin"):
        remote.put_bytes(key, key.encode(), sha256=hashlib.sha256(key.encode()).hexdigest())
    listed = {info.key: info.size for info in remote.list_objects("x/")}
    assert listed == {"x/1.bin": len("x/1.bin"), "x/sub/2.bin": len("x/sub/2.bin")}
    assert {info.key for info in remote.list_objects()} >= {"x/1.bin", "y/3.bin"}


def test_delete_is_idempotent(remote: Remote) -> None:
    remote.put_bytes("gone.bin", b"x", sha256=hashlib.sha256(b"x").hexdigest())
    remote.delete("gone.bin")
    remote.delete("gone.bin")
    assert remote.stat("gone.bin") is None
    assert "gone.bin" not in {info.key for info in remote.list_objects()}


def test_download_of_missing_object_is_one_clean_error(remote: Remote) -> None:
    with pytest.raises(RemoteError) as caught:
        remote.download("missing.bin", io.BytesIO())
    assert "missing.bin" in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("key", ["../escape", "/abs", "a//b", "a/./b"])
def test_keys_cannot_climb_out(remote: Remote, key: str) -> None:
    with pytest.raises(RemoteError):
        remote.put_bytes(key, b"x", sha256=hashlib.sha256(b"x").hexdigest())


def test_folder_leaves_nothing_half_written(tmp_path: Path) -> None:
    root = tmp_path / "disk"
    root.mkdir()
    remote = FolderRemote(root)
    path, _sha = _file(tmp_path, "f.bin", 100)
    with pytest.raises(RemoteError, match="does not match"):
        remote.put_file("f.bin", path, sha256="0" * 64)
    assert remote.stat("f.bin") is None
    assert list(remote.list_objects()) == []
    assert [p.name for p in root.iterdir() if p.is_file()] == []
