"""The key scenarios again, against a real Qdrant at QDRANT_URL (skipped when it is not set).

They create uniquely named collections and delete them (and every snapshot they made) after.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from qdrant_client.http import models

from persistence.backup.sample_state import create_sample_state
from persistence.core.errors import QdrantError
from persistence.core.settings import load_settings
from persistence.qdrant import QdrantRestClient, count_points_offline, upload_snapshot
from tests.conftest import AppState
from tests.qdrant.openapi import validate_response
from tests.qdrant.support import capture
from tests.support.cli import run_cli
from tests.support.settings import settings_for

pytestmark = pytest.mark.real_qdrant

URL = os.environ.get("QDRANT_URL", "").strip()
KEY = os.environ.get("QDRANT_API_KEY") or None


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    if not URL:
        pytest.skip("QDRANT_URL is not set")
    headers = {"api-key": KEY} if KEY else {}
    with httpx.Client(base_url=URL, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture
def collection(http: httpx.Client) -> Iterator[str]:
    name = f"backup-test-{uuid.uuid4().hex[:8]}"
    http.put(f"/collections/{name}", json={"vectors": {"size": 4, "distance": "Cosine"}})
    points = [
        {"id": i, "vector": [0.1 * i, 0.2, 0.3, 0.4], "payload": {"n": i}} for i in range(1, 21)
    ]
    http.put(f"/collections/{name}/points", params={"wait": "true"}, json={"points": points})
    try:
        yield name
    finally:
        for leftover in (name, f"{name}-restored"):
            for snap in http.get(f"/collections/{leftover}/snapshots").json().get("result") or []:
                http.delete(f"/collections/{leftover}/snapshots/{snap['name']}")
            http.delete(f"/collections/{leftover}")


def test_real_backup_and_restore(http: httpx.Client, collection: str, tmp_path: Path) -> None:
    settings = settings_for(
        URL, qdrant_api_key=KEY, qdrant_collections=collection, qdrant_timeout=120.0
    )
    record = capture(settings, tmp_path)
    assert record.qdrant is not None and record.qdrant.server_version
    coll = record.qdrant.collections[0]
    assert coll.points_count == 20
    assert coll.server_snapshot_deleted
    assert http.get(f"/collections/{collection}/snapshots").json()["result"] == []
    snapshot = tmp_path / "qdrant" / coll.file
    counted = count_points_offline(snapshot, tmp_path / "work")
    # WAL caveat: points not yet flushed into segments are not counted offline.
    assert 0 <= counted.total <= 20
    client = QdrantRestClient(URL, api_key=SecretStr(KEY) if KEY else None, timeout=120.0)
    with client:
        upload_snapshot(client, f"{collection}-restored", snapshot, coll.sha256)
        assert client.collection_info(f"{collection}-restored").points_count == 20
        assert client.list_snapshots(f"{collection}-restored") == []


def test_real_answers_match_the_spec(http: httpx.Client, collection: str) -> None:
    body = http.get("/").json()
    models.VersionInfo.model_validate(body)
    validate_response("/", "GET", "200", body)
    body = http.get(f"/collections/{collection}").json()
    models.InlineResponse2007.model_validate(body)
    validate_response("/collections/{collection_name}", "GET", "200", body)
    made = http.post(f"/collections/{collection}/snapshots", params={"wait": "true"}).json()
    models.InlineResponse20015.model_validate(made)
    validate_response("/collections/{collection_name}/snapshots", "POST", "200", made)
    missing = http.get("/collections/definitely-not-here-42")
    assert missing.status_code == 404
    validate_response("/collections/{collection_name}", "GET", "4XX", missing.json())


def test_real_missing_collection_fails_clearly(http: httpx.Client, tmp_path: Path) -> None:
    del http
    settings = settings_for(URL, qdrant_api_key=KEY, qdrant_collections="definitely-not-here-42")
    with pytest.raises(QdrantError, match=r"'definitely-not-here-42'.*HTTP 404"):
        capture(settings, tmp_path)


def test_real_cli_backup_verify_drill(http: httpx.Client, collection: str, tmp_path: Path) -> None:
    """The whole CLI against the real server: create, then verify with a scratch drill."""
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir)
    create_sample_state(settings.resolved(), large_file_mib=1)
    state = AppState(data_dir, settings)
    extra = {"QDRANT_URL": URL, "QDRANT_COLLECTIONS": collection, "QDRANT_TIMEOUT": "120"}
    if KEY:
        extra["QDRANT_API_KEY"] = KEY
    created = run_cli("create-backup", "--json", env=state.env(**extra))
    assert created.returncode == 0, created.stderr
    result = json.loads(created.stdout)
    assert {c["name"]: c["status"] for c in result["components"]}["qdrant"] == "captured"
    assert http.get(f"/collections/{collection}/snapshots").json()["result"] == []
    drilled = run_cli("verify-backup", "--latest", "--drill", "--json", env=state.env(**extra))
    assert drilled.returncode == 0, drilled.stderr + drilled.stdout
    names = [c["name"] for c in http.get("/collections").json()["result"]["collections"]]
    assert not [n for n in names if n.startswith("verify-drill-")], "scratch collections removed"
    if KEY:
        assert KEY not in created.stdout + created.stderr + drilled.stdout + drilled.stderr
