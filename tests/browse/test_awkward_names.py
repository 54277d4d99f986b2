"""Hostile file names through the real CLI: one odd name never costs the whole backup."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browse.support import back_up_storage
from tests.restore.support import cli_env
from tests.support.cli import run_cli, run_json


def test_a_non_utf8_file_name_is_skipped_with_a_warning_not_the_whole_backup(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    storage = data / "storage"
    storage.mkdir(parents=True)
    (storage / "fine.txt").write_text("fine\n")
    (Path(os.fsdecode(os.fsencode(storage) + b"/bad\xff.txt"))).write_bytes(b"latin-1 name\n")
    env = cli_env(data)

    code, result = run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)

    assert code == 0, result
    assert "ValidationError" not in str(result)
    (storage_record,) = [c for c in result["components"] if c["name"] == "storage"]  # type: ignore[union-attr]
    assert storage_record["status"] == "captured"
    assert any("bad\\xff.txt" in w and "UTF-8" in w for w in storage_record["warnings"])
    listing = run_cli("ls-backup", "--latest", env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "fine.txt" in listing.stdout
    verify = run_cli("verify-backup", "--latest", env=env, cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_diff_against_live_with_a_non_utf8_name_is_one_json_document(tmp_path: Path) -> None:
    made = back_up_storage(tmp_path, {"fine.txt": "fine\n"})
    env, storage, created = made.env, made.storage, made.created
    Path(os.fsdecode(os.fsencode(storage) + b"/bad\xff.txt")).write_bytes(b"latin-1 name\n")

    code, diff = run_json("diff-backups", str(created["backup_id"]), "live", env=env, cwd=tmp_path)

    assert code == 0, diff
    (storage_diff,) = [c for c in diff["components"] if c["name"] == "storage"]  # type: ignore[union-attr]
    assert [a["path"] for a in storage_diff["added"]] == ["bad\\xff.txt"]


def test_path_with_a_trailing_space_selects_that_file_not_its_twin(tmp_path: Path) -> None:
    env = back_up_storage(
        tmp_path,
        {
            "notes": "the plain one\n",
            "notes ": "the one with a trailing space\n",
            " lead": "a leading space\n",
        },
    ).env

    target = tmp_path / "elsewhere"
    code, result = run_json(
        "restore-backup", "--latest", "--target", str(target), "--path", "storage/notes ",
        "--path", "storage/ lead", env=env, cwd=tmp_path,
    )  # fmt: skip

    assert code == 0, result
    assert sorted(result["written"]) == ["storage/ lead", "storage/notes "]  # type: ignore[arg-type]
    assert (target / "storage" / "notes ").read_text() == "the one with a trailing space\n"
    assert not (target / "storage" / "notes").exists()
    code, listing = run_json("ls-backup", "--latest", "storage/notes ", env=env, cwd=tmp_path)
    assert code == 0, listing
    assert [f["path"] for f in listing["files"]] == ["notes "]  # type: ignore[union-attr]


def test_a_name_with_a_newline_cannot_forge_a_line_of_ls_or_diff(tmp_path: Path) -> None:
    forged = "evil\n       9 B  2026-01-01 00:00 UTC  deadbeefdead  forged.txt"
    made = back_up_storage(tmp_path, {forged: "x\n"})
    env, storage, created = made.env, made.storage, made.created
    (storage / forged).write_text("changed\n")

    listing = run_cli("ls-backup", "--latest", env=env, cwd=tmp_path, timeout=60)
    diff = run_cli("diff-backups", str(created["backup_id"]), "live", env=env, cwd=tmp_path)

    assert listing.returncode == 0 and diff.returncode == 0, listing.stderr + diff.stderr
    for out in (listing.stdout, diff.stdout):
        assert "evil\\n" in out
        assert all("evil" in line for line in out.splitlines() if "forged.txt" in line), out


def test_a_full_restore_leaves_a_non_utf8_named_file_alone(tmp_path: Path) -> None:
    """No backup can hold such a name (create skips it with a warning), so a restore that
    removes "what the backup does not hold" would delete it for good, undo copy or not."""
    data = tmp_path / "data"
    storage = data / "storage"
    (storage / "deep").mkdir(parents=True)
    (storage / "fine.txt").write_text("fine\n")
    bad = Path(os.fsdecode(os.fsencode(storage) + b"/bad\xff.txt"))
    bad.write_bytes(b"latin-1 name\n")
    env = cli_env(data)
    code, created = run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)
    assert code == 0, created
    (storage / "fine.txt").write_text("changed since\n")
    (storage / "new-folder").mkdir()
    inner = Path(os.fsdecode(os.fsencode(storage) + b"/new-folder/inner\xfe"))
    inner.write_bytes(b"also not UTF-8\n")

    code, plan = run_json("restore-backup", "--latest", "--dry-run", env=env, cwd=tmp_path)
    assert code == 0, plan
    code, restored = run_json("restore-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0, restored

    assert (storage / "fine.txt").read_text() == "fine\n"
    assert bad.read_bytes() == b"latin-1 name\n"
    assert inner.read_bytes() == b"also not UTF-8\n"


def test_an_empty_path_is_refused_rather_than_selecting_everything(tmp_path: Path) -> None:
    """`--path "$DIR"` with DIR unset must not turn a one-file restore into a whole one."""
    env = back_up_storage(tmp_path, {"a.txt": "a\n"}).env

    target = tmp_path / "elsewhere"
    for empty in ("", "/", "."):
        code, result = run_json(
            "restore-backup", "--latest", "--target", str(target), "--path", "storage/a.txt",
            "--path", empty, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert code == 2, result
        assert "--path" in str(result["error"])
        assert not target.exists()
