"""Every path attack is refused with its message before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from persistence import service
from persistence.core.errors import PathSafetyError
from persistence.core.paths import join_inside, safe_relative
from persistence.core.settings import load_settings
from tests.conftest import AppState
from tests.support.cli import run_cli


def _outside(app_state: AppState) -> Path:
    outside = app_state.data_dir.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text("not yours")
    return outside


def _assert_refused(app_state: AppState, env: dict[str, str], *needles: str) -> None:
    proc = run_cli("create-backup", env=app_state.env(**env))
    assert proc.returncode == 2, proc.stderr
    for needle in needles:
        assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not app_state.backup_dir.exists(), "nothing may be written"


def test_dotdot_source_is_refused(app_state: AppState) -> None:
    _outside(app_state)
    _assert_refused(
        app_state,
        {"BACKUP_STORAGE_DIR": "../outside"},
        "BACKUP_STORAGE_DIR",
        "outside the data root",
    )


def test_backup_root_outside_the_data_root_is_refused(app_state: AppState) -> None:
    outside = _outside(app_state)
    _assert_refused(app_state, {"BACKUP_DIR": str(outside / "backups")}, "BACKUP_DIR")
    assert not (outside / "backups").exists()


def test_source_symlink_pointing_outside_is_refused(app_state: AppState) -> None:
    outside = _outside(app_state)
    link = app_state.data_dir / "cache" / "linked.db"
    link.symlink_to(outside / "secret.txt")
    _assert_refused(app_state, {"BACKUP_CACHE_DB": str(link)}, "BACKUP_CACHE_DB", "symlink")


def test_tree_that_is_an_escaping_symlink_is_refused(app_state: AppState) -> None:
    outside = _outside(app_state)
    (app_state.data_dir / "uploads-link").symlink_to(outside)
    _assert_refused(app_state, {"BACKUP_UPLOADS_DIR": "uploads-link"}, "BACKUP_UPLOADS_DIR")


def test_backup_root_inside_a_copied_tree_is_refused(app_state: AppState) -> None:
    _assert_refused(app_state, {"BACKUP_DIR": "storage/backups"}, "inside BACKUP_STORAGE_DIR")


def test_database_inside_a_tree_is_refused(app_state: AppState) -> None:
    _assert_refused(
        app_state,
        {"BACKUP_CACHE_DB": "storage/cache.db"},
        "BACKUP_CACHE_DB",
        "inside BACKUP_STORAGE_DIR",
    )


def test_nested_trees_are_refused(app_state: AppState) -> None:
    _assert_refused(app_state, {"BACKUP_UPLOADS_DIR": "storage/uploads"}, "overlap")


def test_allowed_roots_let_a_user_opt_in(app_state: AppState) -> None:
    outside = _outside(app_state)
    settings = load_settings(
        data_dir=app_state.data_dir, storage_dir=outside, allowed_roots=str(outside)
    )
    result = service.create_backup(settings)
    assert result.ok, result.error
    storage = next(c for c in result.components if c.name == "storage")
    assert storage.file_count == 1


def test_symlink_inside_a_tree_is_never_followed(app_state: AppState) -> None:
    outside = _outside(app_state)
    (app_state.data_dir / "storage" / "sneaky").symlink_to(outside)
    result = service.create_backup(app_state.settings)
    assert result.ok
    backup = Path(result.path or "")
    assert not (backup / "storage" / "sneaky").exists()
    assert not list(backup.rglob("secret.txt"))


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../x", "a//b", "", "a\x00b", "./a"])
def test_manifest_paths_are_validated(bad: str) -> None:
    with pytest.raises(PathSafetyError):
        safe_relative(bad)


def test_join_inside_refuses_a_symlinked_parent(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(PathSafetyError):
        join_inside(root, "link/escape.txt")
    assert join_inside(root, "ok/file.txt") == root / "ok" / "file.txt"
