"""Restoring files from a backup one of whose files is damaged: the output says what was written."""

from __future__ import annotations

from pathlib import Path

from tests.browse.support import back_up_storage
from tests.restore.support import cli_env
from tests.support.cli import run_json


def _damage(backup: Path, relative: str) -> None:
    damaged = backup / relative
    damaged.chmod(0o600)
    damaged.write_bytes(b"X" * damaged.stat().st_size)  # same size: only the hash tells


def _three_files_backed_up(tmp_path: Path) -> tuple[dict[str, str], dict[str, object]]:
    """storage/a.txt, b.txt and c.txt backed up through the CLI: its env and --json result."""
    made = back_up_storage(tmp_path, {n: f"content of {n}\n" for n in ("a.txt", "b.txt", "c.txt")})
    return made.env, made.created


def test_a_damaged_file_fails_the_restore_and_the_result_lists_what_was_written(
    tmp_path: Path,
) -> None:
    env, created = _three_files_backed_up(tmp_path)
    _damage(Path(str(created["path"])), "storage/b.txt")

    target = tmp_path / "elsewhere"
    code, result = run_json(
        "restore-backup", "--latest", "--target", str(target), env=env, cwd=tmp_path
    )

    assert code == 4, result
    assert result["ok"] is False and "storage/b.txt" in str(result["error"])
    on_disk = sorted(f"storage/{p.name}" for p in (target / "storage").iterdir())
    assert on_disk == ["storage/a.txt", "storage/c.txt"]
    assert result["written"] == on_disk

    storage = tmp_path / "data" / "storage"
    for name in ("a.txt", "b.txt", "c.txt"):
        (storage / name).unlink()
    code, result = run_json(
        "restore-backup", "--latest", "--path", "storage", env=env, cwd=tmp_path
    )
    assert code == 4, result
    assert result["written"] == ["storage/a.txt", "storage/c.txt"]
    assert sorted(p.name for p in storage.iterdir()) == ["a.txt", "c.txt"]


def test_a_symlink_leading_outside_its_tree_is_not_recreated_by_target_or_path(
    tmp_path: Path,
) -> None:
    """The full restore skips such a link with a warning (verify-and-restore spec); restoring
    elsewhere or a few files must not plant it either."""
    data = tmp_path / "data"
    storage = data / "storage"
    storage.mkdir(parents=True)
    (storage / "a.txt").write_text("a\n")
    (storage / "inside").symlink_to("a.txt")
    (storage / "outside").symlink_to("../../../../etc")
    env = cli_env(data)
    code, created = run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)
    assert code == 0, created

    target = tmp_path / "elsewhere"
    code, result = run_json(
        "restore-backup", "--latest", "--target", str(target), env=env, cwd=tmp_path
    )
    assert code == 0, result
    assert (target / "storage" / "inside").is_symlink()
    assert not (target / "storage" / "outside").is_symlink()
    assert "storage/outside" not in result["written"]  # type: ignore[operator]
    assert any("outside" in w and "not restored" in w for w in result["warnings"])  # type: ignore[union-attr]

    (storage / "outside").unlink()
    code, result = run_json(
        "restore-backup", "--latest", "--path", "storage/outside", env=env, cwd=tmp_path
    )
    assert code == 0, result
    assert not (storage / "outside").is_symlink()


def test_a_fifo_in_the_backup_in_a_files_place_is_damage_exit_4(tmp_path: Path) -> None:
    import os

    env, created = _three_files_backed_up(tmp_path)
    folder = Path(str(created["path"])) / "storage"
    folder.chmod(0o700)
    (folder / "b.txt").unlink()
    os.mkfifo(folder / "b.txt")

    target = tmp_path / "elsewhere"
    code, result = run_json(
        "restore-backup", "--latest", "--target", str(target), env=env, cwd=tmp_path
    )

    assert code == 4, result
    assert "storage/b.txt" in str(result["error"])
    assert result["written"] == ["storage/a.txt", "storage/c.txt"]
    assert sorted(p.name for p in (target / "storage").iterdir()) == ["a.txt", "c.txt"]


def test_a_dry_run_refuses_a_damaged_file_as_the_restore_would(tmp_path: Path) -> None:
    env, created = _three_files_backed_up(tmp_path)
    _damage(Path(str(created["path"])), "storage/b.txt")
    storage = tmp_path / "data" / "storage"
    for name in ("a.txt", "b.txt", "c.txt"):
        (storage / name).unlink()

    for where in ((), ("--target", str(tmp_path / "elsewhere"))):
        code, result = run_json(
            "restore-backup", "--latest", "--path", "storage", "--dry-run", *where,
            env=env, cwd=tmp_path,
        )  # fmt: skip
        assert code == 4, result
        assert "storage/b.txt" in str(result["error"]) and "would" in str(result["error"])
        assert result["written"] == ["storage/a.txt", "storage/c.txt"]
    assert list(storage.iterdir()) == []
    assert not (tmp_path / "elsewhere").exists()
