"""Listings remember what they showed of each manifest, by its sha256, and nothing else.

The cache may only save validation time: a manifest whose bytes changed, a cache someone
edited, or one written under other validation rules must never change what a listing says.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from persistence import service
from persistence.store.listing_cache import CACHE_NAME, validation_rules_digest
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME
from tests.conftest import AppState
from tests.engine.helpers import sha256_of, two_backups
from tests.support.cli import run_cli


def _listing(app_state: AppState) -> list[dict[str, object]]:
    return [b.model_dump(mode="json") for b in service.list_backups(app_state.settings)]


def _cache(app_state: AppState) -> dict[str, object]:
    return json.loads((app_state.backup_dir / CACHE_NAME).read_text())


def _cached_digests(app_state: AppState) -> set[str]:
    data = json.loads((app_state.backup_dir / CACHE_NAME).read_text())
    return set(data["entries"])


def test_a_new_backup_is_remembered_and_listed_the_same_as_when_validated(
    app_state: AppState,
) -> None:
    ids = two_backups(app_state)
    digests = {sha256_of(app_state.backup_dir / i / MANIFEST_NAME) for i in ids}
    assert _cached_digests(app_state) == digests, "create remembers each backup it commits"
    cached = _listing(app_state)
    (app_state.backup_dir / CACHE_NAME).unlink()
    assert _listing(app_state) == cached, "validating afresh shows the same listing"
    assert _cached_digests(app_state) == digests


def test_a_changed_and_resigned_manifest_is_validated_not_served_from_the_cache(
    app_state: AppState,
) -> None:
    first, _second = two_backups(app_state)
    folder = app_state.backup_dir / first
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["components"][0]["files"][0]["mode"] = "0600"  # a string: invalid
    data = json.dumps(manifest).encode()
    (folder / MANIFEST_NAME).chmod(0o600)
    (folder / MANIFEST_NAME).write_bytes(data)
    (folder / SIDECAR_NAME).chmod(0o600)
    (folder / SIDECAR_NAME).write_text(f"{hashlib.sha256(data).hexdigest()}  x\n")
    listed = {b.backup_id: b for b in service.list_backups(app_state.settings)}
    assert not listed[first].valid and listed[first].problem
    assert "mode" in (listed[first].problem or "")


def test_an_edited_cache_entry_for_other_rules_or_garbage_is_ignored(app_state: AppState) -> None:
    ids = two_backups(app_state)
    truth = _listing(app_state)
    digest = sha256_of(app_state.backup_dir / ids[0] / MANIFEST_NAME)
    lie = {"created_at": "2001-01-01T00:00:00Z", "total_bytes": 1, "components": {"x": "failed"}}
    path = app_state.backup_dir / CACHE_NAME
    path.write_text(json.dumps({"rules": "older tool", "entries": {digest: lie}}))
    assert _listing(app_state) == truth, "entries from other validation rules are not used"
    assert _cache(app_state)["rules"] == validation_rules_digest()
    for planted in (b"{not json", b"\0" * 64, json.dumps({"rules": 1}).encode()):
        path.write_bytes(planted)
        assert _listing(app_state) == truth


def test_entries_of_deleted_backups_are_forgotten(app_state: AppState) -> None:
    first, second = two_backups(app_state)
    pruned = service.prune_backups(app_state.settings, keep_last=1)
    assert pruned.deleted == [first]
    _listing(app_state)
    assert _cached_digests(app_state) == {sha256_of(app_state.backup_dir / second / MANIFEST_NAME)}


def test_a_read_only_backup_root_lists_without_its_cache(
    app_state: AppState, tmp_path: Path
) -> None:
    """A mounted read-only backup disk: the cache cannot be written, the listing still works."""
    ids = two_backups(app_state)
    (app_state.backup_dir / CACHE_NAME).unlink()
    view = tmp_path / "ro-view"
    view.mkdir()
    bound = subprocess.run(["mount", "--bind", str(app_state.backup_dir), str(view)], check=False)
    if bound.returncode != 0:
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=False).returncode:
            pytest.skip("cannot remount the bind mount read-only here")
        env = app_state.env(BACKUP_DIR=str(view), BACKUP_ALLOWED_ROOTS=str(view))
        for _ in range(2):
            listed = run_cli("list-backups", "--json", env=env)
            assert listed.returncode == 0, listed.stderr
            assert [b["backup_id"] for b in json.loads(listed.stdout)] == ids
            assert listed.stderr == ""
    finally:
        subprocess.run(["umount", str(view)], check=True)
    assert sorted(p.name for p in app_state.backup_dir.iterdir() if "listing" in p.name) == []
