"""ls-backup, diff-backups and --version against real backups made by the CLI."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import duckdb

from persistence import tool_version
from tests.browse.support import run_cli, run_json
from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import cli_env, make_state
from tests.support.trees import tree_digest


def _create(env: dict[str, str], cwd: Path) -> str:
    code, payload = run_json(["create-backup", "--no-prune"], env, cwd)
    assert code == 0, payload
    return str(payload["backup_id"])


def _change_everything(data: Path, standin: QdrantStandin) -> None:
    """A file changed, one added, one removed; new rows in both databases; more points."""
    (data / "storage" / "docstore.json").write_text('{"docs": {}, "edited": true}\n')
    (data / "uploads" / "new-upload.txt").write_bytes(b"fresh upload\n")
    (data / "storage" / "deep" / "a" / "b" / "c" / "d" / "leaf.txt").unlink()
    con = sqlite3.connect(data / "cache" / "cache.db")
    con.executemany("INSERT INTO responses (prompt_hash) VALUES (?)", [("x1",), ("x2",)])
    con.commit()
    con.close()
    duck = duckdb.connect(str(data / "analytics" / "analytics.duckdb"))
    duck.execute(
        "INSERT INTO events SELECT id + 10000, kind, event_time, latency FROM events LIMIT 5"
    )
    duck.close()
    standin.add_collection("docs", points=34)


def _component(diff: dict[str, object], name: str) -> dict[str, object]:
    components = diff["components"]
    assert isinstance(components, list)
    found = [c for c in components if c["name"] == name]
    assert len(found) == 1, f"{name} appears {len(found)} times"
    return found[0]


def _paths(items: object) -> dict[str, tuple[object, object]]:
    assert isinstance(items, list)
    return {i["path"]: (i["old_size"], i["new_size"]) for i in items}


def _assert_the_changes(diff: dict[str, object]) -> None:
    storage = _component(diff, "storage")
    assert _paths(storage["changed"]) == {"docstore.json": (48, 29)}
    assert _paths(storage["removed"]) == {"deep/a/b/c/d/leaf.txt": (5, None)}
    assert storage["added"] == []
    uploads = _component(diff, "uploads")
    assert _paths(uploads["added"]) == {"new-upload.txt": (None, 13)}
    assert uploads["changed"] == [] and uploads["removed"] == []
    cache = _component(diff, "cache_db")
    assert cache["tables"] == [{"table": "responses", "old_rows": 500, "new_rows": 502}]
    analytics = _component(diff, "analytics_db")
    assert analytics["tables"] == [{"table": "events", "old_rows": 2000, "new_rows": 2005}]
    qdrant = _component(diff, "qdrant")
    assert qdrant["collections"] == [
        {
            "name": "docs",
            "change": "changed",
            "old_points": 21,
            "new_points": 34,
            "config_changed": False,
        }
    ]
    assert diff["identical"] is False


def test_diff_between_two_backups_and_with_live(
    tmp_path: Path, qdrant_standin: QdrantStandin
) -> None:
    data = tmp_path / "data"
    make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url)
    first = _create(env, tmp_path)
    before_reading = tree_digest(data / "backups" / first)
    _change_everything(data, qdrant_standin)

    code, live = run_json(["diff-backups", first, "live"], env, tmp_path)
    assert code == 0, live
    assert live["new_id"] == "live"
    _assert_the_changes(live)

    second = _create(env, tmp_path)
    code, between = run_json(["diff-backups", first, second], env, tmp_path)
    assert code == 0 and between["old_id"] == first and between["new_id"] == second
    _assert_the_changes(between)

    # Right after a backup the data root holds what it holds: no database "changed".
    code, same = run_json(["diff-backups", second, "live"], env, tmp_path)
    assert code == 0 and same["identical"] is True, same

    text = run_cli(["diff-backups", first, second], env, tmp_path)
    assert text.returncode == 0
    assert "+ new-upload.txt" in text.stdout and "- deep/a/b/c/d/leaf.txt" in text.stdout
    assert "table responses: 500 -> 502 rows" in text.stdout
    assert "collection docs changed: 21 -> 34 points" in text.stdout

    # Reading a backup writes nothing into it (no journal, no .wal), and it still verifies.
    assert tree_digest(data / "backups" / first) == before_reading
    code, verified = run_json(["verify-backup", first], env, tmp_path)
    assert code == 0, verified


def test_ls_backup_files_components_and_collections(
    tmp_path: Path, qdrant_standin: QdrantStandin
) -> None:
    data = tmp_path / "data"
    make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url)
    backup_id = _create(env, tmp_path)

    code, listing = run_json(["ls-backup", "--latest"], env, tmp_path)
    assert code == 0 and listing["backup_id"] == backup_id
    files = {f"{f['component']}/{f['path']}": f for f in listing["files"]}
    report = data / "uploads" / "2026" / "11" / "report.pdf"
    entry = files["uploads/2026/11/report.pdf"]
    assert entry["size"] == report.stat().st_size
    assert entry["sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    assert entry["mtime"].endswith(("Z", "+00:00"))  # --json keeps UTC
    assert files["storage/latest-notes"]["link_target"] == "notes"
    assert {c["name"]: c["status"] for c in listing["components"]}["cache_db"] == "captured"
    counts = {c["name"]: c["points_count"] for c in listing["collections"]}
    assert counts == {"docs": 21, "faq-v2": 9, "images": 31}

    code, under = run_json(["ls-backup", backup_id, "storage/notes"], env, tmp_path)
    assert code == 0 and under["path_filter"] == "storage/notes"
    assert [f["path"] for f in under["files"]] == ["notes", "notes/résumé – 日本語.md"]
    assert [c["name"] for c in under["components"]] == ["storage"] and under["collections"] == []

    text = run_cli(["ls-backup", "--latest", "uploads/2026"], env, tmp_path)
    assert text.returncode == 0 and "uploads/2026/11/report.pdf" in text.stdout
    assert entry["sha256"][:12] in text.stdout


def test_bad_input_is_one_line_or_one_json_document(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data)
    backup_id = _create(env, tmp_path)
    for args in (
        ["ls-backup", backup_id, "storage/no-such-file"],
        ["ls-backup", "backup_19990101T000000_000000Z"],
        ["ls-backup", "../etc"],
        ["ls-backup"],
        ["diff-backups", backup_id, "backup_19990101T000000_000000Z"],
        ["diff-backups", "live", backup_id],
    ):
        done = run_cli(args, env, tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        as_json = run_cli([*args, "--json"], env, tmp_path)
        payload = json.loads(as_json.stdout)
        assert payload["ok"] is False and payload["exit_code"] == 2 and payload["error"]


def test_version(tmp_path: Path) -> None:
    done = run_cli(["--version"], cli_env(tmp_path / "data"), tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"app-backup {tool_version()}"
