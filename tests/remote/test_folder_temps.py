"""A folder remote removes what a killed push left (its temps), and nothing else."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from persistence.remote.folder import FolderRemote
from tests.support.processes import dead_pid


def _put(remote: FolderRemote, key: str, data: bytes) -> None:
    remote.put_bytes(key, data, sha256=hashlib.sha256(data).hexdigest())


def test_an_object_named_like_a_temp_is_not_removed_by_the_next_push(tmp_path: Path) -> None:
    """Keys are the user's file names: a file named `.remote-tmp-<pid>-report.pdf` is an
    object, not the temp of `report.pdf` a killed push left; pushing `report.pdf` after it
    used to delete it from the remote."""
    remote = FolderRemote(tmp_path)
    lookalike = f"b1/docs/.remote-tmp-{dead_pid()}-report.pdf"
    _put(remote, lookalike, b"the user's own file")
    _put(remote, "b1/docs/report.pdf", b"the report")
    assert (tmp_path / lookalike).read_bytes() == b"the user's own file"
    assert remote.stat(lookalike) is not None


def test_a_file_name_with_glob_characters_removes_no_other_object(tmp_path: Path) -> None:
    remote = FolderRemote(tmp_path)
    other = f"b1/.remote-tmp-{dead_pid()}-a1"
    _put(remote, other, b"another object")
    _put(remote, "b1/a[0-9]", b"brackets in a file name")
    assert (tmp_path / other).read_bytes() == b"another object"


def test_temps_of_a_killed_push_are_removed(tmp_path: Path) -> None:
    remote = FolderRemote(tmp_path)
    dead = dead_pid()
    (tmp_path / "b1").mkdir()
    (tmp_path / ".remote-meta" / "b1").mkdir(parents=True)
    killed = [
        tmp_path / "b1" / f".remote-tmp-{dead}-x",
        tmp_path / ".remote-meta" / "b1" / f".x.json.tmp-{dead}-{dead}",
        tmp_path / ".remote-meta" / "b1" / f".x.json.tmp-{dead}",  # older versions' name
    ]
    for path in killed:
        path.write_bytes(b"partial")
    _put(remote, "b1/x", b"data")
    assert [p for p in killed if p.exists()] == []
    assert sorted(p.name for p in (tmp_path / "b1").iterdir()) == ["x"]


def test_a_long_file_name_is_still_pushed(tmp_path: Path) -> None:
    """The index entry's temp, `.<name>.json.tmp-<pid>-<thread>`, grew by the thread id: file
    names a push took before (up to what the object's own temp allows) were refused as too
    long (234 to 237 bytes with 5-digit pids)."""
    remote = FolderRemote(tmp_path)
    key = "b1/" + "n" * (255 - len(f".remote-tmp-{os.getpid()}-"))
    _put(remote, key, b"data")
    assert remote.stat(key) is not None


def test_a_long_name_is_written_atomically(tmp_path: Path) -> None:
    from persistence.core.atomic import write_atomic

    folder = tmp_path / "units"
    folder.mkdir()
    target = folder / ("n" * 255)  # the longest name a file may have
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data"
    assert [p.name for p in folder.iterdir()] == [target.name]


def test_a_killed_push_of_a_long_name_leaves_no_temp_behind(tmp_path: Path) -> None:
    remote = FolderRemote(tmp_path)
    name = "n" * 236
    digest = hashlib.sha256(f"{name}.json".encode()).hexdigest()[:32]
    meta_dir = tmp_path / ".remote-meta" / "b1"
    meta_dir.mkdir(parents=True)
    dead = dead_pid()
    killed = meta_dir / f".{digest}.tmp-{dead}-{dead}"
    killed.write_bytes(b"partial")
    _put(remote, f"b1/{name}", b"data")
    assert sorted(p.name for p in meta_dir.iterdir()) == [f"{name}.json"]


def test_a_killed_push_of_the_longest_name_is_resumed(tmp_path: Path) -> None:
    """The temp of a name at the limit is 255 bytes: its index entry's name would be longer
    still, so looking for one must not fail the push."""
    remote = FolderRemote(tmp_path)
    _put(remote, "b1/first", b"pushed before")  # its index folder exists
    dead = dead_pid()
    name = "n" * (255 - len(f".remote-tmp-{max(dead, os.getpid())}-"))
    killed = tmp_path / "b1" / f".remote-tmp-{dead}-{name}"
    killed.write_bytes(b"partial")
    _put(remote, f"b1/{name}", b"data")
    assert sorted(p.name for p in (tmp_path / "b1").iterdir()) == sorted(["first", name])


def test_an_index_entry_that_no_longer_describes_its_object_vouches_for_nothing(
    tmp_path: Path,
) -> None:
    """stat reports the stored sha256 only while the entry matches the object's size and
    holds what a push writes; anything else (edited, truncated, garbage) reports none, so a
    pull or verify re-hashes the bytes instead of trusting the entry."""
    remote = FolderRemote(tmp_path)
    data = b"twelve bytes"
    _put(remote, "b1/a.txt", data)
    info = remote.stat("b1/a.txt")
    assert info is not None and info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.checksum == f"sha256:{info.sha256}"
    meta = tmp_path / ".remote-meta" / "b1" / "a.txt.json"
    written = json.loads(meta.read_text())
    for tampered in (
        {**written, "size": len(data) + 1},
        {**written, "size": str(len(data))},
        {"size": len(data)},
        [written],
    ):
        meta.write_text(json.dumps(tampered))
        info = remote.stat("b1/a.txt")
        assert info is not None and info.sha256 is None and info.checksum is None, tampered
    meta.write_bytes(b"\xff not json")
    info = remote.stat("b1/a.txt")
    assert info is not None and info.sha256 is None
