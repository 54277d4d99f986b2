"""--deep (offline count with the real engine) and --drill (scratch collection on a server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persistence import service
from persistence.components.qdrant_server_checks import SCRATCH_PREFIX, scratch_name
from persistence.core.errors import QdrantError
from tests.qdrant_standin.archive import build_archive
from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import cli_env, latest_backup, make_state, resign, standin_state
from tests.support.cli import run_json
from tests.support.settings import settings_for


def _backup_with(standin: QdrantStandin, tmp_path: Path, *, corrupt: bool) -> Path:
    # Real segments written by qdrant-edge; the corrupt one has garbage in a segment.json.
    standin.add_collection("docs", points=22, dim=4, shards=2)
    if corrupt:
        standin.add_collection("broken", archive=build_archive(points=13, corrupt=True))
    settings = settings_for(standin.url, data=tmp_path / "data")
    (tmp_path / "data").mkdir()
    result = service.create_backup(settings)
    assert result.ok, result.error
    return latest_backup(settings)


def test_deep_counts_the_points_of_an_edge_built_snapshot(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    backup = _backup_with(qdrant_standin, tmp_path, corrupt=False)
    settings = settings_for(qdrant_standin.url, data=tmp_path / "data")
    report = service.verify_backup(settings, backup.name, deep=True)
    assert report.ok, report.problems
    qdrant = next(c for c in report.components if c.name == "qdrant")
    assert any("docs: 22 points counted offline" in n for n in qdrant.notes)
    assert any("write-ahead log" in n for n in qdrant.notes), "the WAL caveat must be said"

    # A count that differs from the one recorded at backup time fails the deep check only.
    manifest = json.loads((backup / "manifest.json").read_text())
    component = next(c for c in manifest["components"] if c["name"] == "qdrant")
    component["qdrant"]["collections"][0]["points_count"] = 23
    resign(backup, manifest)
    assert service.verify_backup(settings, backup.name).ok
    deep = service.verify_backup(settings, backup.name, deep=True)
    assert not deep.ok and deep.exit_code == 4
    assert any("22 points counted offline, 23 recorded" in f.problem for f in deep.failed_files)


def test_deep_fails_on_a_corrupted_segment(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    backup = _backup_with(qdrant_standin, tmp_path, corrupt=True)
    env = cli_env(tmp_path / "data", qdrant_standin.url)
    code, shallow = run_json("verify-backup", backup.name, env=env, cwd=tmp_path)
    assert code == 0, shallow  # the tar itself reads fine: only the engine sees the damage
    code, deep = run_json("verify-backup", backup.name, "--deep", env=env, cwd=tmp_path)
    assert code == 4
    failed = deep["failed_files"]
    assert isinstance(failed, list) and len(failed) == 1
    assert failed[0]["path"].startswith("broken/") and "deep check" in failed[0]["problem"]


def test_drill_restores_into_a_scratch_collection_and_cleans_up(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    backup = _backup_with(qdrant_standin, tmp_path, corrupt=False)
    settings = settings_for(qdrant_standin.url, data=tmp_path / "data")
    before = standin_state(qdrant_standin)
    report = service.verify_backup(settings, backup.name, drill=True)
    assert report.ok, report.problems
    qdrant = next(c for c in report.components if c.name == "qdrant")
    assert any("recovered 22 points" in n for n in qdrant.notes)
    uploads = qdrant_standin.state.uploads_to(r"/collections/[^/]+/snapshots/upload")
    assert len(uploads) == 1 and uploads[0].path.split("/")[2].startswith(SCRATCH_PREFIX + "docs-")
    assert uploads[0].query["priority"] == "snapshot" and uploads[0].query["checksum"]
    assert standin_state(qdrant_standin) == before, "scratch collection and copy removed"


def test_scratch_name_never_reuses_an_existing_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = scratch_name("docs", set())
    assert first.startswith(SCRATCH_PREFIX + "docs-") and first != scratch_name("docs", set())
    monkeypatch.setattr(
        "persistence.components.qdrant_server_checks.secrets.token_hex", lambda _n: "abc"
    )
    with pytest.raises(QdrantError, match="already exists"):
        scratch_name("docs", {f"{SCRATCH_PREFIX}docs-abc"})


def test_drill_without_a_server_is_a_usage_error(tmp_path: Path) -> None:
    settings = settings_for(data=tmp_path / "data")
    (tmp_path / "data" / "backups").mkdir(parents=True)
    report = service.verify_backup(settings, None, latest=True, drill=True)
    assert not report.ok and report.exit_code == 2 and "QDRANT_URL" in (report.error or "")


def _tamper_count(backup: Path, collection: str, count: int) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    component = next(c for c in manifest["components"] if c["name"] == "qdrant")
    entry = next(c for c in component["qdrant"]["collections"] if c["name"] == collection)
    entry["points_count"] = count
    resign(backup, manifest)


def test_restore_goes_on_after_a_mismatch_and_names_every_problem(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    settings = make_state(tmp_path / "data", qdrant_standin)
    assert service.create_backup(settings).ok
    backup = latest_backup(settings)
    # The first collection mismatches, the second cannot be uploaded: the third must still
    # be restored, and the one failure line must name both problems.
    _tamper_count(backup, "docs", 99)
    qdrant_standin.add_collection("docs", points=1)
    qdrant_standin.add_collection("faq-v2", points=1, dim=8)
    qdrant_standin.add_collection("images", points=1, shards=2)
    qdrant_standin.fail("POST", r"/collections/faq-v2/snapshots/upload", 507, "No space left")
    result = service.restore_backup(settings, backup.name, only=["qdrant"])
    assert not result.ok
    assert result.error is not None and "\n" not in result.error
    assert "'docs' recovered 21 points, the backup recorded 99" in result.error
    assert "live collection" in result.error
    assert "'faq-v2' failed" in result.error and "No space left" in result.error
    assert "restored as recorded: images" in result.error
    qdrant_result = next(c for c in result.components if c.name == "qdrant")
    assert not qdrant_result.ok and qdrant_result.collections_recovered == ["images"]
    uploads = qdrant_standin.state.uploads_to(r"/collections/[^/]+/snapshots/upload")
    assert sorted(r.path.split("/")[2] for r in uploads) == ["docs", "faq-v2", "images"]
    after = standin_state(qdrant_standin)
    assert (after["docs"][0], after["faq-v2"][0], after["images"][0]) == (21, 1, 31)
    assert all(v[3] == [] for v in after.values()), "uploaded copies are still deleted"


def test_deep_and_drill_say_where_the_recorded_count_came_from(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    backup = _backup_with(qdrant_standin, tmp_path, corrupt=False)
    settings = settings_for(qdrant_standin.url, data=tmp_path / "data")
    _tamper_count(backup, "docs", 23)
    deep = service.verify_backup(settings, backup.name, deep=True)
    drill = service.verify_backup(settings, backup.name, drill=True)
    for report, what in ((deep, "22 points counted offline"), (drill, "recovered 22 points")):
        assert not report.ok
        problems = [f.problem for f in report.failed_files]
        assert any(what in p and "23 recorded at backup time" in p for p in problems), problems
        assert any("read from the live collection" in p for p in problems), problems
