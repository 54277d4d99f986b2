"""A 3-node stand-in cluster, 6 shards over 2 collections: backup shard by shard, verify
--deep per shard file, restore into an empty cluster with exact counts; a node down fails
the backup cleanly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from persistence import service
from tests.qdrant_standin.cluster import StandinCluster
from tests.qdrant_standin.state import Fault
from tests.restore.support import cli_env, latest_backup
from tests.support.cli import run_json
from tests.support.settings import settings_for


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[StandinCluster]:
    made = StandinCluster(tmp_path / "cluster", nodes=3)
    made.add_collection("docs", shard_points=[5, 7, 9, 4])  # 4 shards over 3 nodes
    made.add_collection("faq", shard_points=[3, 6], dim=8)
    try:
        yield made
    finally:
        made.stop()


def _counts(urls: list[str]) -> dict[str, int]:
    return {
        name: httpx.post(f"{urls[0]}/collections/{name}/points/count", json={"exact": True}).json()[
            "result"
        ]["count"]
        for name in ("docs", "faq")
    }


def test_cluster_backup_verify_deep_and_restore_into_an_empty_cluster(
    cluster: StandinCluster, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    url_list = ",".join(cluster.urls)
    env = cli_env(data, url_list)
    code, created = run_json("create-backup", env=env, cwd=tmp_path)
    assert code == 0, created
    assert cluster.snapshot_count() == 0, "every shard snapshot was deleted on its node"
    backup = latest_backup(settings_for(data=data, url=url_list))
    manifest = json.loads((backup / "manifest.json").read_text())
    qdrant = next(c for c in manifest["components"] if c["name"] == "qdrant")["qdrant"]
    assert qdrant["mode"] == "cluster" and len(qdrant["nodes"]) == 3
    by_name = {c["name"]: c for c in qdrant["cluster_collections"]}
    assert (by_name["docs"]["shard_number"], by_name["faq"]["shard_number"]) == (4, 2)
    assert by_name["docs"]["points_count"] == 25 and by_name["faq"]["points_count"] == 9
    shards = [s for c in by_name.values() for s in c["shards"]]
    assert len(shards) == 6 and all(len(s["sha256"]) == 64 for s in shards)
    assert {s["node"] for s in by_name["docs"]["shards"]} == set(cluster.urls)

    code, deep = run_json("verify-backup", backup.name, "--deep", env=env, cwd=tmp_path)
    assert code == 0, deep
    notes = [n for c in deep["components"] for n in c["notes"]]  # type: ignore[union-attr]
    assert any("docs: 25 points counted offline" in n for n in notes), notes

    empty = StandinCluster(tmp_path / "empty", nodes=3)
    try:
        target = ",".join(empty.urls)
        target_env = cli_env(data, target)
        code, plan = run_json(
            "restore-backup", "--latest", "--dry-run", env=target_env, cwd=tmp_path
        )
        assert code == 0, plan
        planned = next(c for c in plan["components"] if c["name"] == "qdrant")  # type: ignore[union-attr]
        steps = {c["name"]: c["shards"] for c in planned["collections"]}
        assert [s["shard_id"] for s in steps["docs"]] == [0, 1, 2, 3]
        assert all(s["file"].startswith("docs/docs-shard-") for s in steps["docs"])
        code, restored = run_json(
            "restore-backup", "--latest", "--only", "qdrant", env=target_env, cwd=tmp_path
        )
        assert code == 0, restored
        assert _counts(empty.urls) == _counts(cluster.urls) == {"docs": 25, "faq": 9}
    finally:
        empty.stop()


def test_a_restore_into_a_differing_collection_is_refused(
    cluster: StandinCluster, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    settings = settings_for(data=data, url=",".join(cluster.urls))
    assert service.create_backup(settings).ok
    other = StandinCluster(tmp_path / "other", nodes=3)
    try:
        other.add_collection("docs", shard_points=[1, 1])  # 2 shards, the backup has 4
        target = settings_for(data=data, url=",".join(other.urls))
        plan = service.plan_restore(target, None, latest=True, only=["qdrant"])
        assert any("2 shards, the backup has 4" in p for p in plan.problems)
        result = service.restore_backup(target, None, latest=True, only=["qdrant"])
        assert not result.ok and result.error is not None and "--force" in result.error
        forced = service.restore_backup(target, None, latest=True, only=["qdrant"], force=True)
        assert forced.ok, forced.error
        assert _counts(other.urls)["docs"] == 25
    finally:
        other.stop()


def test_a_node_down_during_backup_fails_cleanly(cluster: StandinCluster, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    settings = settings_for(data=data, url=",".join(cluster.urls), qdrant_timeout=3.0)
    # The third node goes down as the first shard snapshot is taken on the first one.
    down = cluster.nodes[2]
    cluster.nodes[0].inject(
        Fault("POST", r"/collections/docs/shards/0/snapshots", before=down.stop)
    )
    result = service.create_backup(settings)
    assert not result.ok and result.error is not None
    assert "\n" not in result.error and "cannot connect" in result.error
    assert cluster.snapshot_count() == 0, "shard snapshots already taken were deleted"
    assert not list((data / "backups").glob("backup_*")), "no backup that looks complete"
