"""Honest listings: damaged marked, undo copies apart and pruned by their rule, local times,
help without placeholders, sample-data counted like create."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from persistence.cli import full_app
from tests.browse.support import run_cli, run_json
from tests.engine.helpers import backdate
from tests.restore.support import cli_env, make_state


def _create(env: dict[str, str], cwd: Path) -> str:
    code, payload = run_json(["create-backup", "--no-prune"], env, cwd)
    assert code == 0, payload
    return str(payload["backup_id"])


def test_a_failed_verify_marks_the_backup_damaged_in_json_and_in_the_list(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data)
    older, newer = _create(env, tmp_path), _create(env, tmp_path)
    report = data / "backups" / older / "uploads" / "2026" / "11" / "report.pdf"
    # A new inode: incremental backups share unchanged files by hard link, and this test damages
    # one backup's copy only.
    report.unlink()
    report.write_bytes(b"%PDF-1.7 tampered")
    assert run_cli(["verify-backup", older], env, tmp_path).returncode == 4

    code, rows = run_json(["list-backups"], env, tmp_path)
    assert code == 0
    by_id = {r["backup_id"]: r for r in rows}
    assert by_id[older]["last_verify"] == "damaged"
    assert datetime.fromisoformat(by_id[older]["last_verify_at"]).utcoffset() == timedelta(0)
    assert by_id[older]["verified_at"] is None
    assert by_id[newer]["last_verify"] == "never" and by_id[newer]["last_verify_at"] is None

    assert run_cli(["verify-backup", newer], env, tmp_path).returncode == 0
    listed = run_cli(["list-backups"], {**env, "COLUMNS": "80"}, tmp_path)
    lines = listed.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), listed.stdout
    row_of = {bid: next(i for i, line in enumerate(lines) if bid in line) for bid in (older, newer)}
    assert row_of[newer] < row_of[older]  # newest first
    assert "DAMAGED" in lines[row_of[older]] and "ok" in lines[row_of[newer]]
    assert "cache_db" in lines[row_of[newer]]  # the components column is not squeezed away


def test_times_are_local_in_the_cli_and_utc_in_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data, TZ="Asia/Tokyo")
    backup_id = _create(env, tmp_path)
    code, rows = run_json(["list-backups"], env, tmp_path)
    created = datetime.fromisoformat(rows[0]["created_at"])
    assert code == 0 and created.utcoffset() == timedelta(0)
    tokyo = created.astimezone(UTC) + timedelta(hours=9)
    listed = run_cli(["list-backups"], {**env, "COLUMNS": "200"}, tmp_path)
    assert f"{tokyo:%Y-%m-%d %H:%M} JST" in listed.stdout
    shown = run_cli(["ls-backup", backup_id], env, tmp_path)
    assert f"created {tokyo:%Y-%m-%d %H:%M} JST" in shown.stdout


def _restore(env: dict[str, str], cwd: Path, data: Path, round_: int) -> str:
    """A restore over a changed data root: it saves what it replaces as an undo copy."""
    (data / "storage" / "docstore.json").write_text(f"edited {round_}\n")
    code, payload = run_json(["restore-backup", "--latest"], env, cwd)
    assert code == 0, payload
    return str(payload["undo_id"])


def test_undo_copies_are_listed_apart_and_pruned_by_their_own_rule(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data, BACKUP_KEEP_UNDO="1")
    backups = [_create(env, tmp_path) for _ in range(2)]
    undo = [_restore(env, tmp_path, data, n) for n in range(3)]
    now = datetime.now(UTC)
    backdate(data / "backups" / undo[0], now - timedelta(days=3))
    backdate(data / "backups" / undo[1], now - timedelta(days=2))

    listed = run_cli(["list-backups"], {**env, "COLUMNS": "100"}, tmp_path).stdout
    undo_section = listed.index("undo copies")
    assert all(listed.index(u) > undo_section for u in undo)
    assert all(listed.index(b) < undo_section for b in backups)
    assert "2 backups" in listed and "3 undo copies" in listed

    code, plan = run_json(["prune-backups", "--dry-run"], env, tmp_path)
    assert code == 0
    assert plan["undo_deleted"] == undo[:2]
    assert plan["undo_kept"] == [undo[2]]
    assert plan["keep_rules"][undo[2]] == [
        "keep-undo 1 (#1 newest undo copy)",
        "undo copy younger than a day",
    ]
    assert sorted(plan["kept"]) == backups and plan["deleted"] == []
    text = run_cli(["prune-backups", "--dry-run"], env, tmp_path).stdout
    assert f"would delete {undo[0]}  (undo copy)" in text

    # With BACKUP_KEEP_UNDO=0 a copy younger than a day still stays.
    code, done = run_json(["prune-backups"], {**env, "BACKUP_KEEP_UNDO": "0"}, tmp_path)
    assert code == 0 and done["undo_deleted"] == undo[:2] and done["undo_kept"] == [undo[2]]
    left = sorted(p.name for p in (data / "backups").iterdir() if p.is_dir())
    assert left == sorted([*backups, undo[2]])


def _commands() -> dict[str, Any]:
    # Typer ships its own copy of click, so the group is checked by shape, not by class.
    root: Any = typer.main.get_command(full_app())
    return dict(root.commands)


def test_help_has_no_type_placeholders_and_describes_every_option(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    for name, command in _commands().items():
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.opts} has no description"
        shown = run_cli([name, "--help"], env, tmp_path)
        assert shown.returncode == 0
        assert not re.search(r"<(bool|int|float|path|list)[^>]*>", shown.stdout), (
            name,
            shown.stdout,
        )


def test_verify_usage_errors_name_all(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data)
    _create(env, tmp_path)
    for args in (["verify-backup"], ["verify-backup", "backup_19990101T000000_000000Z"]):
        done = run_cli(args, env, tmp_path)
        assert done.returncode == 2 and "--all" in done.stderr, done.stderr


def test_sample_data_counts_files_like_create(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = cli_env(data, BACKUP_INCLUDE_LOGS="true")
    made = run_cli(["sample-data", "--large-file-mib", "1"], env, tmp_path)
    assert made.returncode == 0, made.stderr
    code, created = run_json(["create-backup"], env, tmp_path)
    assert code == 0
    for component in created["components"]:
        if component["file_count"]:
            line = next(
                line for line in made.stdout.splitlines() if line.split()[0] == component["name"]
            )
            count = component["file_count"]
            assert f" {count} file" in line, (component["name"], line)


def test_list_backups_json_keeps_the_documented_fields(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data)
    _create(env, tmp_path)
    rows = json.loads(run_cli(["list-backups", "--json"], env, tmp_path).stdout)
    assert {
        "backup_id",
        "kind",
        "created_at",
        "verified_at",
        "last_verify",
        "last_verify_at",
    } <= set(rows[0])


def test_list_footer_counts_files_shared_by_hard_links_once(tmp_path: Path) -> None:
    """Two backups of unchanged data share every tree file: the list's "on disk" total is the
    real space (about one backup), not the sum of both backups' recorded sizes."""
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data)
    first, second = _create(env, tmp_path), _create(env, tmp_path)
    rows = {
        r["backup_id"]: r
        for r in json.loads(run_cli(["list-backups", "--json"], env, tmp_path).stdout)
    }
    recorded = rows[first]["size_bytes"] + rows[second]["size_bytes"]
    footer = run_cli(["list-backups"], env, tmp_path).stdout.strip().splitlines()[-1]
    on_disk = re.search(r"; (\S+ \S+) on disk", footer)
    assert on_disk, footer
    assert rows[second]["unique_bytes"] < rows[second]["size_bytes"]  # it shares files
    assert _parse_size(on_disk.group(1)) < recorded * 0.9, (footer, recorded)


def _parse_size(text: str) -> float:
    number, unit = text.split()
    scale = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}[unit]
    return float(number) * scale
