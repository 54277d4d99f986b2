"""The server behaviours of issue 10 against a real Qdrant (QDRANT_URL), and a cluster
(QDRANT_CLUSTER_URLS, every node's REST URL, comma-separated); skipped when unset.

Start a 3-node cluster as the README says (docker compose), then:
    QDRANT_CLUSTER_URLS=http://localhost:6333,http://localhost:6343,http://localhost:6353 \\
        uv run pytest -m real_qdrant tests/qdrant/test_real_qdrant_behaviour.py
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from persistence.qdrant import QdrantRestClient, QdrantUploadError, upload_snapshot
from persistence.qdrant.snapshots import fetch_snapshot
from tests.restore.support import cli_env
from tests.support.cli import run_json

pytestmark = pytest.mark.real_qdrant

URL = os.environ.get("QDRANT_URL", "").strip()
KEY = os.environ.get("QDRANT_API_KEY") or None
CLUSTER = [u.strip() for u in os.environ.get("QDRANT_CLUSTER_URLS", "").split(",") if u.strip()]


def _points(count: int, dim: int = 4) -> list[dict[str, object]]:
    return [
        {"id": i, "vector": [0.1 * (i % 7) + 0.01 * k for k in range(dim)]}
        for i in range(1, count + 1)
    ]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    if not URL:
        pytest.skip("QDRANT_URL is not set")
    headers = {"api-key": KEY} if KEY else {}
    with httpx.Client(base_url=URL, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture
def collection(http: httpx.Client) -> Iterator[str]:
    name = f"backup-real-{uuid.uuid4().hex[:8]}"
    http.put(f"/collections/{name}", json={"vectors": {"size": 4, "distance": "Cosine"}})
    http.put(f"/collections/{name}/points", params={"wait": "true"}, json={"points": _points(30)})
    try:
        yield name
    finally:
        for leftover in (name, f"{name}-other"):
            for snap in http.get(f"/collections/{leftover}/snapshots").json().get("result") or []:
                http.delete(f"/collections/{leftover}/snapshots/{snap['name']}")
            http.delete(f"/collections/{leftover}")


def _client(timeout: float) -> QdrantRestClient:
    return QdrantRestClient(URL, api_key=SecretStr(KEY) if KEY else None, timeout=timeout)


def test_real_create_that_outlives_the_timeout_leaves_one_snapshot_then_none(
    http: httpx.Client, collection: str, tmp_path: Path
) -> None:
    with _client(timeout=0.01) as fast, _client(timeout=60) as client:
        try:
            fetched = fetch_snapshot(
                fast, collection, tmp_path, poll_for=60, deadline_seconds=60,
                delete_server_copy=True,
            )  # fmt: skip
        except Exception:  # a 10 ms budget may also fail a list: then clean up
            fetched = None
        assert client.count_points(collection) == 30
        if fetched is not None:
            assert fetched.exact_count == 30
    until = time.monotonic() + 15
    while time.monotonic() < until:
        if http.get(f"/collections/{collection}/snapshots").json()["result"] == []:
            break
        time.sleep(0.5)
    leftover = http.get(f"/collections/{collection}/snapshots").json()["result"]
    # A run that gave up leaves its snapshot to the journal sweep; clean it here.
    for snap in leftover:
        http.delete(f"/collections/{collection}/snapshots/{snap['name']}")
    if fetched is not None:
        assert leftover == []


def test_real_failed_restore_into_another_config_leaves_no_file(
    http: httpx.Client, collection: str, tmp_path: Path
) -> None:
    other = f"{collection}-other"
    http.put(f"/collections/{other}", json={"vectors": {"size": 8, "distance": "Cosine"}})
    with _client(timeout=120) as client:
        fetched = fetch_snapshot(
            client, collection, tmp_path, poll_for=120, deadline_seconds=120,
            delete_server_copy=True,
        )  # fmt: skip
        with pytest.raises(QdrantUploadError) as caught:
            upload_snapshot(
                client, other, fetched.downloaded.path, fetched.downloaded.sha256, "snapshot"
            )
        assert "HTTP 400" in caught.value.message
        assert client.list_snapshots(other) == []


def test_real_idle_connection_is_not_reused_after_qdrants_keep_alive(collection: str) -> None:
    with _client(timeout=30) as client:
        assert collection in client.list_collections()
        time.sleep(5.5)  # past Qdrant's 5 s keep-alive (src/settings.rs)
        assert client.count_points(collection) == 30


@pytest.fixture
def cluster_collections() -> Iterator[list[str]]:
    if len(CLUSTER) < 2:
        pytest.skip("QDRANT_CLUSTER_URLS (every node's REST URL) is not set")
    headers = {"api-key": KEY} if KEY else {}
    names = [f"backup-cluster-{uuid.uuid4().hex[:6]}-{i}" for i in range(2)]
    with httpx.Client(base_url=CLUSTER[0], headers=headers, timeout=60) as http:
        for name, shards in zip(names, (4, 2), strict=True):
            http.put(
                f"/collections/{name}",
                json={"vectors": {"size": 4, "distance": "Cosine"}, "shard_number": shards},
            ).raise_for_status()
            http.put(
                f"/collections/{name}/points", params={"wait": "true"}, json={"points": _points(40)}
            ).raise_for_status()
        try:
            yield names
        finally:
            for name in names:
                http.delete(f"/collections/{name}")


def test_real_cluster_backup_verify_deep_restore(
    cluster_collections: list[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    extra = {"QDRANT_COLLECTIONS": ",".join(cluster_collections), "QDRANT_TIMEOUT": "120"}
    if KEY:
        extra["QDRANT_API_KEY"] = KEY
    env = cli_env(data, ",".join(CLUSTER), **extra)
    code, created = run_json("create-backup", env=env, cwd=tmp_path)
    assert code == 0, created
    code, deep = run_json("verify-backup", "--latest", "--deep", env=env, cwd=tmp_path)
    assert code == 0, deep
    headers = {"api-key": KEY} if KEY else {}
    with httpx.Client(base_url=CLUSTER[0], headers=headers, timeout=60) as http:
        for name in cluster_collections:
            http.delete(f"/collections/{name}").raise_for_status()
        code, restored = run_json(
            "restore-backup", "--latest", "--only", "qdrant", env=env, cwd=tmp_path
        )
        assert code == 0, json.dumps(restored)
        for name in cluster_collections:
            count = http.post(f"/collections/{name}/points/count", json={"exact": True})
            assert count.json()["result"]["count"] == 40
