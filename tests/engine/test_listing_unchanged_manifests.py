"""A listing reads a manifest again only when it or its hash file was touched since a listing
(or the create that committed it) last checked them; any write is seen by its ctime."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from persistence import service
from persistence.store.listing_cache import CACHE_NAME
from persistence.store.sealed import MANIFEST_NAME, SIDECAR_NAME
from tests.conftest import AppState
from tests.engine.helpers import two_backups


def _created(app_state: AppState) -> dict[str, str]:
    return {
        b.backup_id: str(b.created_at) for b in service.list_backups(app_state.settings) if b.valid
    }


def _swap_remembered_hashes(app_state: AppState, first: str, second: str) -> None:
    """Point each backup's remembered read at the other's manifest: a tell-tale that shows
    whether a listing trusted what it remembered or read the files."""
    path = app_state.backup_dir / CACHE_NAME
    stored = json.loads(path.read_text())
    seen = stored["seen"]
    seen[first]["sha256"], seen[second]["sha256"] = seen[second]["sha256"], seen[first]["sha256"]
    path.write_text(json.dumps(stored))


def _rewrite_keeping_size_and_mtime(path: Path) -> None:
    info = path.stat()
    path.chmod(0o600)
    data = path.read_bytes()
    path.write_bytes(data)  # same bytes even: only the ctime tells
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_the_first_listing_after_a_create_reads_no_manifest(app_state: AppState) -> None:
    first, second = two_backups(app_state)
    honest = _created(app_state)
    _swap_remembered_hashes(app_state, first, second)
    assert _created(app_state) == {first: honest[second], second: honest[first]}


def test_a_touched_manifest_or_hash_file_is_read_again(app_state: AppState) -> None:
    first, second = two_backups(app_state)
    honest = _created(app_state)
    for name in (MANIFEST_NAME, SIDECAR_NAME):
        _swap_remembered_hashes(app_state, first, second)
        _rewrite_keeping_size_and_mtime(app_state.backup_dir / first / name)
        _rewrite_keeping_size_and_mtime(app_state.backup_dir / second / name)
        assert _created(app_state) == honest, name


def test_a_tampered_manifest_is_still_caught_by_the_listing(app_state: AppState) -> None:
    first, _ = two_backups(app_state)
    _created(app_state)
    manifest = app_state.backup_dir / first / MANIFEST_NAME
    info = manifest.stat()
    manifest.chmod(0o600)
    data = bytearray(manifest.read_bytes())
    data[data.index(b'"size": ') + 8] ^= 1  # one digit changed, same length
    manifest.write_bytes(bytes(data))
    os.utime(manifest, ns=(info.st_atime_ns, info.st_mtime_ns))
    listed = {b.backup_id: b for b in service.list_backups(app_state.settings)}
    assert not listed[first].valid
    assert "does not match its recorded hash" in (listed[first].problem or "")


def test_a_pruned_backup_is_forgotten(app_state: AppState) -> None:
    first, second = two_backups(app_state)
    _created(app_state)
    shutil.rmtree(app_state.backup_dir / first)
    _created(app_state)
    stored = json.loads((app_state.backup_dir / CACHE_NAME).read_text())
    assert set(stored["seen"]) == {second}
