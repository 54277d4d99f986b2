"""Incremental backups: unchanged files are hard links to the newest complete backup."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from persistence import service
from persistence.core.settings import load_settings
from persistence.store.manifest import FileRecord, load_manifest
from tests.conftest import AppState
from tests.engine.helpers import sha256_of
from tests.support.cli import run_cli


def _create(app_state: AppState, *, full: bool = False, rehash: bool = False) -> Path:
    result = service.create_backup(app_state.settings, prune=False, full=full, rehash=rehash)
    assert result.ok, result.error
    return Path(result.path or "")


def _files(backup: Path, component: str) -> dict[str, FileRecord]:
    record = load_manifest(backup).component(component)
    assert record is not None
    return {f.path: f for f in record.files if f.kind == "file"}


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_second_run_links_every_unchanged_file_and_copies_a_changed_one(
    app_state: AppState,
) -> None:
    first = _create(app_state)
    changed = app_state.data_dir / "uploads" / "2026" / "11" / "report.pdf"
    changed.write_bytes(changed.read_bytes()[:-7] + b"CHANGED")
    second = _create(app_state)
    linked = 0
    for component in ("storage", "uploads"):
        before, after = _files(first, component), _files(second, component)
        assert before.keys() == after.keys()
        for path, item in after.items():
            old, new = first / component / path, second / component / path
            if component == "uploads" and path == "2026/11/report.pdf":
                assert _inode(old) != _inode(new) and item.linked_from is None
                assert item.sha256 == sha256_of(changed) == sha256_of(new)
                continue
            assert _inode(old) == _inode(new), f"{component}/{path} was copied"
            assert item.linked_from == first.name and item.sha256 == before[path].sha256
            linked += 1
    assert linked >= 7
    # Every file of a backup is read-only: a shared inode cannot be edited through one backup.
    modes = {p.stat().st_mode & 0o777 for p in second.rglob("*") if p.is_file()}
    assert modes == {0o400} | ({0o600} if (second / "manifest.json").exists() else set())
    # An unchanged SQLite copy has the same bytes, so it becomes a link too (disk, not time).
    cache = _files(second, "cache_db")["cache.db"]
    assert cache.linked_from == first.name
    assert _inode(first / "cache_db" / "cache.db") == _inode(second / "cache_db" / "cache.db")
    # A database untouched since the first backup (same file and journal identities) is not
    # even copied again: the previous copy is linked.
    analytics = _files(second, "analytics_db")["analytics.duckdb"]
    assert analytics.linked_from == first.name and analytics.source_fingerprint
    assert service.verify_backup(app_state.settings, second.name).ok


def test_rehash_catches_a_change_that_kept_size_and_mtime(app_state: AppState) -> None:
    first = _create(app_state)
    victim = app_state.data_dir / "storage" / "docstore.json"
    info = victim.stat()
    victim.write_bytes(victim.read_bytes().replace(b"Quarterly", b"QUARTERLY"))
    os.utime(victim, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert victim.stat().st_size == info.st_size and victim.stat().st_mtime_ns == info.st_mtime_ns
    rehashed = _create(app_state, rehash=True)
    item = _files(rehashed, "storage")["docstore.json"]
    assert item.linked_from is None and item.sha256 == sha256_of(victim)
    assert b"QUARTERLY" in (rehashed / "storage" / "docstore.json").read_bytes()
    uploads = _files(rehashed, "uploads").values()
    assert all(f.linked_from == first.name for f in uploads), "the rest still links"


def test_full_and_the_setting_copy_everything(app_state: AppState) -> None:
    first = _create(app_state)
    full = _create(app_state, full=True)
    assert all(f.linked_from is None for f in _files(full, "uploads").values())
    off = load_settings(data_dir=app_state.data_dir, incremental=False)
    result = service.create_backup(off, prune=False)
    assert result.ok
    third = Path(result.path or "")
    for path in _files(first, "uploads"):
        assert len({_inode(b / "uploads" / path) for b in (first, full, third)}) == 3


def test_pruning_the_first_of_two_linked_backups_leaves_the_second_verifying(
    app_state: AppState,
) -> None:
    first = _create(app_state)
    second = _create(app_state)
    shared = second / "uploads" / "2026" / "11" / "report.pdf"
    assert shared.stat().st_nlink == 2
    listed = json.loads(run_cli("list-backups", "--json", env=app_state.env()).stdout)
    unique = {row["backup_id"]: row["unique_bytes"] for row in listed}
    # Shared files free nothing: what the first backup holds alone is its manifest, its hash
    # file and any database copy not linked into the second backup.
    alone = [first / "manifest.json", first / "manifest.json.sha256"]
    alone += [p for p in (first / "analytics_db").iterdir() if p.stat().st_nlink == 1]
    assert unique[first.name] == sum(p.stat().st_size for p in alone)
    assert unique[first.name] < listed[0]["size_bytes"]
    pruned = service.prune_backups(app_state.settings, keep_last=1)
    assert pruned.deleted == [first.name] and not first.exists()
    assert (
        shared.stat().st_nlink == 1
        and sha256_of(shared) == _files(second, "uploads")["2026/11/report.pdf"].sha256
    )
    report = service.verify_backup(app_state.settings, second.name)
    assert report.ok, report


def test_a_disk_without_hard_links_falls_back_to_copies(
    app_state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT and some network shares refuse link(2) with EPERM: copy, and say so once."""
    first = _create(app_state)
    calls: list[str] = []

    def refuse(src: object, dst: object, **_kw: object) -> None:
        calls.append(str(dst))
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), str(dst))

    monkeypatch.setattr(os, "link", refuse)
    result = service.create_backup(app_state.settings, prune=False)
    assert result.ok, result.error
    second = Path(result.path or "")
    assert len(calls) == 1, "after the first refusal the run stops trying"
    assert [w for w in result.warnings if "cannot hard-link" in w]
    for path in _files(first, "uploads"):
        assert _inode(first / "uploads" / path) != _inode(second / "uploads" / path)
    assert all(f.linked_from is None for f in _files(second, "uploads").values())
    monkeypatch.undo()
    assert service.verify_backup(app_state.settings, second.name).ok
