"""The restore plan says "replace" only when the data would change, and its byte counts are
what the restore then writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.browse.support import run_json
from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import cli_env, make_state


def test_right_after_a_backup_no_database_is_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data)
    code, created = run_json(["create-backup"], env, tmp_path)
    assert code == 0, created
    code, plan = run_json(["restore-backup", "--latest", "--dry-run"], env, tmp_path)
    assert code == 0
    actions = {c["name"]: c["action"] for c in plan["components"]}
    assert actions["analytics_db"] == "leave" and actions["cache_db"] == "leave"
    assert plan["nothing_to_do"] is True and plan["bytes_to_write"] == 0

    con = sqlite3.connect(data / "cache" / "cache.db")
    con.execute("INSERT INTO responses (prompt_hash) VALUES ('one more')")
    con.commit()
    con.close()
    code, plan = run_json(["restore-backup", "--latest", "--dry-run"], env, tmp_path)
    actions = {c["name"]: c["action"] for c in plan["components"]}
    assert actions["cache_db"] == "restore" and actions["analytics_db"] == "leave"


def test_plan_bytes_match_what_the_restore_writes(
    tmp_path: Path, qdrant_standin: QdrantStandin
) -> None:
    data = tmp_path / "data"
    make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url)
    assert run_json(["create-backup"], env, tmp_path)[0] == 0
    (data / "storage" / "docstore.json").write_text("edited\n")
    (data / "uploads" / "empty.txt").unlink()
    (data / "uploads" / "stray.txt").write_text("not in the backup\n")
    con = sqlite3.connect(data / "cache" / "cache.db")
    con.execute("DELETE FROM responses WHERE id < 10")
    con.commit()
    con.close()
    qdrant_standin.add_collection("docs", points=5)
    code, plan = run_json(["restore-backup", "--latest", "--dry-run"], env, tmp_path)
    assert code == 0, plan
    code, done = run_json(["restore-backup", "--latest"], env, tmp_path)
    assert code == 0, done
    planned = {c["name"]: c["bytes_to_write"] for c in plan["components"]}
    written = {c["name"]: c["bytes_written"] for c in done["components"]}
    assert planned == written
    assert plan["bytes_to_write"] == sum(written.values()) > 0
    storage = next(c for c in plan["components"] if c["name"] == "storage")
    assert storage["bytes_changed"] == 48  # the backup's docstore.json: the one file that differs
