"""A planted or damaged listing cache must never stop a command.

The cache sits in the backup root, where a stranger may plant files (see `read_capped`): an
entry a real listing would never write must be ignored, never crash a listing or a create.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persistence import service
from persistence.core.atomic import atomic_temp_for
from persistence.store.listing_cache import CACHE_NAME, validation_rules_digest
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, sidecar_text
from tests.conftest import AppState
from tests.engine.helpers import sha256_of
from tests.support.cli import run_cli

ODD_ENTRIES = [
    {"created_at": "2030-01-01T00:00:00", "total_bytes": 1, "components": {}},  # naive time
    {"created_at": "2030-01-01T00:00:00Z", "total_bytes": -5, "components": {}},
    {"created_at": "2030-01-01T00:00:00Z", "total_bytes": 1, "components": {"x": "bogus"}},
]


@pytest.mark.parametrize("odd", ODD_ENTRIES)
def test_an_entry_no_listing_writes_is_ignored_not_a_crash(
    app_state: AppState, odd: dict[str, object]
) -> None:
    ids: list[str] = []
    for _ in range(2):
        created = service.create_backup(app_state.settings, prune=False)
        assert created.ok, created.error
        ids.append(created.backup_id or "")
    truth = [b.model_dump(mode="json") for b in service.list_backups(app_state.settings)]
    digest = sha256_of(app_state.backup_dir / ids[0] / MANIFEST_NAME)
    path = app_state.backup_dir / CACHE_NAME
    cache = json.loads(path.read_text())
    assert cache["rules"] == validation_rules_digest()
    cache["entries"][digest] = odd
    path.write_text(json.dumps(cache))
    listed = run_cli("list-backups", "--json", env=app_state.env())
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    assert json.loads(listed.stdout) and len(json.loads(listed.stdout)) == 2
    path.write_text(json.dumps(cache))
    again = [b.model_dump(mode="json") for b in service.list_backups(app_state.settings)]
    assert again == truth
    path.write_text(json.dumps(cache))
    created = run_cli("create-backup", "--json", env=app_state.env())
    assert created.returncode == 0, created.stderr
    assert "Traceback" not in created.stderr


def test_a_resigned_manifest_with_a_naive_time_is_listed_broken_not_a_crash(
    app_state: AppState,
) -> None:
    created = service.create_backup(app_state.settings, prune=False)
    assert created.ok, created.error
    folder = app_state.backup_dir / (created.backup_id or "")
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["started_at"] = "2030-01-01T00:00:00"
    data = json.dumps(manifest).encode()
    for name, body in ((MANIFEST_NAME, data), (SIDECAR_NAME, sidecar_text(data).encode())):
        (folder / name).chmod(0o600)
        (folder / name).write_bytes(body)
    assert service.create_backup(app_state.settings, prune=False).ok
    listed = run_cli("list-backups", "--json", env=app_state.env())
    assert listed.returncode == 0, listed.stderr
    verdicts = {b["backup_id"]: b["valid"] for b in json.loads(listed.stdout)}
    assert verdicts[created.backup_id or ""] is False
    assert list(verdicts.values()).count(True) == 1


def test_a_planted_link_at_the_cache_temp_name_is_not_written_through(
    app_state: AppState, tmp_path: Path
) -> None:
    """Listings now write into the backup root: a link planted at the name of the temp file
    (`.<name>.tmp-<pid>-<thread>`, both guessable) must not make a listing overwrite its target."""
    created = service.create_backup(app_state.settings, prune=False)
    assert created.ok, created.error
    (app_state.backup_dir / CACHE_NAME).unlink()
    victim = tmp_path / "precious.txt"
    victim.write_text("precious")
    planted = atomic_temp_for(app_state.backup_dir / CACHE_NAME)
    planted.symlink_to(victim)
    assert [b.backup_id for b in service.list_backups(app_state.settings)] == [created.backup_id]
    assert victim.read_text() == "precious"
