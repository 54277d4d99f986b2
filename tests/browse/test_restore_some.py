"""restore-backup --target DIR, --path PATH and --qdrant-prefix P against CLI backups."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.browse.support import run_cli, run_json
from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import cli_env, make_state, standin_state
from tests.support.trees import tree_digest

# What a run may change outside the target: its own run record and lock in the backup root
# (and so the backup root's own mtime).
RUN_BOOKKEEPING = ("backups/runs.json", "backups/.backup.lock")


def _outside(data: Path) -> dict[str, str]:
    return {k: v for k, v in tree_digest(data, skip=RUN_BOOKKEEPING).items() if k != "backups"}


def _create(env: dict[str, str], cwd: Path) -> str:
    code, payload = run_json(["create-backup", "--no-prune"], env, cwd)
    assert code == 0, payload
    return str(payload["backup_id"])


def test_target_writes_only_under_dir_and_qdrant_only_with_a_prefix(
    tmp_path: Path, qdrant_standin: QdrantStandin
) -> None:
    data = tmp_path / "data"
    make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url)
    backup_id = _create(env, tmp_path)
    (data / "storage" / "docstore.json").write_text("changed since the backup\n")
    before, server_before = _outside(data), standin_state(qdrant_standin)
    target = tmp_path / "elsewhere"

    code, result = run_json(["restore-backup", backup_id, "--target", str(target)], env, tmp_path)
    assert code == 0, result
    assert _outside(data) == before and standin_state(qdrant_standin) == server_before
    assert not [p for p in (data / "backups").iterdir() if p.name.startswith("pre-restore_")]
    assert any("Qdrant skipped" in w for w in result["warnings"])
    _, listing = run_json(["ls-backup", backup_id], env, tmp_path)
    for entry in listing["files"]:
        if entry["kind"] == "file" and entry["component"] != "qdrant":
            written = target / entry["component"] / entry["path"]
            assert hashlib.sha256(written.read_bytes()).hexdigest() == entry["sha256"]
    assert (target / "storage" / "latest-notes").readlink() == Path("notes")
    assert "storage/docstore.json" in result["written"]
    assert not (target / "qdrant").exists()

    again = run_cli(["restore-backup", backup_id, "--target", str(target)], env, tmp_path)
    assert again.returncode == 2 and "new or empty folder" in again.stderr

    second = tmp_path / "with-qdrant"
    code, result = run_json(
        [
            "restore-backup",
            backup_id,
            "--target",
            str(second),
            "--path",
            "qdrant/docs",
            "--qdrant-prefix",
            "restored_",
        ],
        env,
        tmp_path,
    )
    assert code == 0, result
    assert result["collections"] == [
        {"name": "docs", "restored_as": "restored_docs", "points_count": 21}
    ]
    after = standin_state(qdrant_standin)
    assert after["restored_docs"][0] == 21
    assert {k: v for k, v in after.items() if k != "restored_docs"} == server_before
    refused = run_cli(
        [
            "restore-backup",
            backup_id,
            "--target",
            str(tmp_path / "third"),
            "--path",
            "qdrant/docs",
            "--qdrant-prefix",
            "restored_",
        ],
        env,
        tmp_path,
    )
    assert refused.returncode == 2 and "already exists" in refused.stderr


def test_path_restores_one_file_and_nothing_else(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data)
    backup_id = _create(env, tmp_path)
    lost = data / "uploads" / "2026" / "11" / "report.pdf"
    original = lost.read_bytes()
    lost.unlink()
    (data / "storage" / "deep" / "a" / "b" / "c" / "d" / "leaf.txt").unlink()
    (data / "storage" / "docstore.json").write_text("the app's newer content\n")
    before = _outside(data)

    code, result = run_json(
        ["restore-backup", backup_id, "--path", "uploads/2026/11/report.pdf"], env, tmp_path
    )
    assert code == 0, result
    assert result["written"] == ["uploads/2026/11/report.pdf"]
    assert lost.read_bytes() == original
    after = _outside(data)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    # The file, and its folder's mtime (as for any file created in it): nothing else.
    assert changed == {"uploads/2026/11/report.pdf", "uploads/2026/11"}
    assert not [p for p in (data / "backups").iterdir() if p.name.startswith("pre-restore_")]

    # A file the app has changed is never overwritten in place: reported, left alone.
    code, result = run_json(
        ["restore-backup", backup_id, "--path", "storage/docstore.json"], env, tmp_path
    )
    assert code == 0 and result["conflicts"] == ["storage/docstore.json"]
    assert (data / "storage" / "docstore.json").read_text() == "the app's newer content\n"

    missing = run_cli(["restore-backup", backup_id, "--path", "storage/nope.txt"], env, tmp_path)
    assert missing.returncode == 2 and "nothing in" in missing.stderr
    database = run_cli(["restore-backup", backup_id, "--path", "cache_db"], env, tmp_path)
    assert database.returncode == 2 and "--only cache_db" in database.stderr
