"""Qdrant through the whole run, CLI in its own process: the manifest, faults, the secret."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from persistence.backup.sample_state import create_sample_state
from persistence.core.settings import load_settings
from persistence.store.manifest import load_manifest
from tests.conftest import AppState
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault
from tests.support.cli import run_cli
from tests.support.trees import tree_digest

API_KEY = "sk-test-9f8e7d6c5b4a-very-secret"
COLLECTIONS = {"docs": 30, "chat-memory": 12, "faq": 5}


@pytest.fixture
def state(tmp_path: Path) -> AppState:
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir)
    create_sample_state(settings.resolved(), large_file_mib=1)
    return AppState(data_dir, settings)


@pytest.fixture
def server(qdrant_standin: QdrantStandin) -> QdrantStandin:
    for name, points in COLLECTIONS.items():
        qdrant_standin.add_collection(name, points=points)
    qdrant_standin.set_keys(write=API_KEY)
    return qdrant_standin


def _env(state: AppState, server: QdrantStandin, **extra: str) -> dict[str, str]:
    return state.env(QDRANT_URL=server.url, QDRANT_API_KEY=API_KEY, **extra)


def test_three_collections_in_one_backup_and_the_key_nowhere(
    state: AppState, server: QdrantStandin
) -> None:
    expected = {name: server.archive_bytes(name) for name in COLLECTIONS}
    proc = run_cli("create-backup", "--json", "--debug", env=_env(state, server))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    backup = Path(result["path"])
    manifest = load_manifest(backup)
    qdrant = manifest.component("qdrant")
    assert qdrant is not None and qdrant.qdrant is not None
    assert qdrant.qdrant.server_version == "1.19.0"
    records = {c.name: c for c in qdrant.qdrant.collections}
    assert set(records) == set(COLLECTIONS)
    for name, record in records.items():
        data = (backup / "qdrant" / record.file).read_bytes()
        assert data == expected[name], f"{name} must be byte-identical to the server's"
        assert record.sha256 == hashlib.sha256(data).hexdigest() == record.server_checksum
        assert record.points_count == COLLECTIONS[name]
        assert record.server_snapshot_deleted
    assert server.all_snapshot_names() == {name: [] for name in COLLECTIONS}
    everything = (
        proc.stdout
        + proc.stderr
        + "".join(p.read_text(errors="replace") for p in state.backup_dir.rglob("*.json"))
    )
    assert API_KEY not in everything
    assert "api-key" in {h.lower() for r in server.requests for h in r.headers}


@pytest.mark.parametrize(
    "fault",
    [
        Fault(
            "POST", r"/collections/faq/snapshots", status=500, error="Service internal error: boom"
        ),
        Fault("GET", r"/collections/chat-memory/snapshots/.+", truncate_after=5000),
        Fault("POST", r"/collections/faq/snapshots", wrong_checksum=True),
        Fault("GET", r"/collections/docs", status=403, error="Forbidden: read access denied"),
    ],
    ids=["create-500", "truncated", "wrong-checksum", "forbidden"],
)
def test_a_qdrant_fault_fails_the_run_and_keeps_earlier_backups(
    state: AppState, server: QdrantStandin, fault: Fault
) -> None:
    first = run_cli("create-backup", "--json", env=_env(state, server))
    assert first.returncode == 0, first.stderr
    before = tree_digest(state.backup_dir)
    server.inject(fault)
    proc = run_cli("create-backup", "--json", "--keep-last", "1", env=_env(state, server))
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["ok"] is False and result["backup_id"] is None
    assert "Traceback" not in proc.stderr and API_KEY not in proc.stdout + proc.stderr
    collection = fault.path.split("/")[2]
    assert f"'{collection}'" in result["error"]
    after = tree_digest(state.backup_dir)
    kept = {k: v for k, v in before.items() if k.startswith("backup_")}
    assert {k: v for k, v in after.items() if k.startswith("backup_")} == kept
    assert not list(state.backup_dir.glob(".staging-*"))
    assert not list(state.backup_dir.rglob("*.part"))
    assert all(not names for names in server.all_snapshot_names().values())


def test_no_qdrant_flag_records_skipped(state: AppState, server: QdrantStandin) -> None:
    proc = run_cli("create-backup", "--json", "--no-qdrant", env=_env(state, server))
    assert proc.returncode == 0, proc.stderr
    statuses = {c["name"]: c["status"] for c in json.loads(proc.stdout)["components"]}
    assert statuses["qdrant"] == "skipped"
    assert not [r for r in server.requests if r.path.startswith("/collections")]
