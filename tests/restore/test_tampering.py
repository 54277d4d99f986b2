"""A damaged or hostile backup: verify names the problem, restore refuses and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from persistence import service
from persistence.core.settings import BackupSettings
from persistence.restore.run import restore_backup
from persistence.verify.run import verify_backup
from tests.restore.support import cli_env, latest_backup, make_state, resign
from tests.support.cli import run_cli
from tests.support.settings import settings_for
from tests.support.trees import tree_digest


@pytest.fixture
def made(tmp_path: Path) -> tuple[BackupSettings, Path]:
    settings = make_state(tmp_path / "data")
    result = service.create_backup(settings)
    assert result.ok, result.error
    (tmp_path / "data" / "storage" / "docstore.json").write_text("changed", encoding="utf-8")
    return settings, latest_backup(settings)


def _flip(backup: Path) -> str:
    target = backup / "uploads" / "2026" / "11" / "report.pdf"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    return "2026/11/report.pdf"


def _extra(backup: Path) -> str:
    (backup / "storage" / "planted.sh").write_text("echo hi", encoding="utf-8")
    return "planted.sh"


def _delete(backup: Path) -> str:
    (backup / "storage" / "docstore.json").unlink()
    return "docstore.json"


def _edit(backup: Path) -> str:
    manifest = backup / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"size": 5', '"size": 6', 1))
    return "does not match its recorded hash"


@pytest.mark.parametrize(
    ("damage", "expected"),
    [(_flip, "content differs"), (_extra, "extra"), (_delete, "missing"), (_edit, "hash")],
)
def test_damage_is_named_and_refused(
    made: tuple[BackupSettings, Path], damage: Callable[[Path], str], expected: str
) -> None:
    settings, backup = made
    named = damage(backup)
    report = verify_backup(settings, backup.name)
    assert not report.ok and report.exit_code == 4
    text = json.dumps(report.model_dump())
    assert named in text and expected in text
    before = tree_digest(settings.resolved().data_dir)
    result = restore_backup(settings, backup.name)
    assert not result.ok and result.exit_code == 4
    assert "fails verification" in (result.error or "") or "hash" in (result.error or "")
    after = tree_digest(settings.resolved().data_dir, skip=("backups",))
    assert after == {k: v for k, v in before.items() if not k.startswith("backups")}
    assert not [p for p in (settings.resolved().backup_dir).iterdir() if "pre-restore" in p.name]


def test_damaged_backup_fails_on_the_cli_with_exit_4(
    made: tuple[BackupSettings, Path], tmp_path: Path
) -> None:
    settings, backup = made
    path = _flip(backup)
    env = cli_env(settings.resolved().data_dir)
    done = run_cli("verify-backup", backup.name, env=env, cwd=tmp_path)
    assert done.returncode == 4
    assert f"uploads/{path}" in done.stdout and "Traceback" not in done.stderr
    done = run_cli("restore-backup", backup.name, env=env, cwd=tmp_path)
    assert done.returncode == 4 and "--force" in done.stderr


@pytest.mark.parametrize("hostile", ["../../escaped.txt", "ABSOLUTE"])
def test_hostile_manifest_paths_cannot_write_outside(
    made: tuple[BackupSettings, Path], tmp_path: Path, hostile: str
) -> None:
    settings, backup = made
    outside = tmp_path / "escaped.txt"
    path = str(outside) if hostile == "ABSOLUTE" else hostile
    manifest = json.loads((backup / "manifest.json").read_text())
    storage = next(c for c in manifest["components"] if c["name"] == "storage")
    docstore = next(f for f in storage["files"] if f["path"] == "docstore.json")
    storage["files"].append({**docstore, "path": path})
    resign(backup, manifest)  # only the path check can catch it now

    report = verify_backup(settings, backup.name)
    assert not report.ok
    assert any(f.path == path and "unsafe path" in f.problem for f in report.failed_files)
    for force in (False, True):
        result = restore_backup(settings, backup.name, force=force)
        assert not result.ok, force
        assert "unsafe path" in (result.error or "") or "verification" in (result.error or "")
    assert not outside.exists()
    assert not list(tmp_path.rglob("escaped.txt"))
    assert (settings.resolved().storage_dir / "docstore.json").read_text() == "changed"


def test_symlink_leading_outside_is_skipped_with_a_message(
    made: tuple[BackupSettings, Path], tmp_path: Path
) -> None:
    settings, backup = made
    manifest = json.loads((backup / "manifest.json").read_text())
    storage = next(c for c in manifest["components"] if c["name"] == "storage")
    storage["files"].append(
        {
            "path": "escape",
            "kind": "symlink",
            "size": 0,
            "sha256": None,
            "mode": 0o777,
            "mtime": 0.0,
            "link_target": "../../../outside",
        }
    )
    resign(backup, manifest)
    plan = service.plan_restore(settings, backup.name)
    assert any("escape" in w and "outside" in w for w in plan.warnings)
    result = restore_backup(settings, backup.name)
    assert result.ok, result.error
    storage_result = next(c for c in result.components if c.name == "storage")
    assert any("escape" in w for w in storage_result.warnings)
    assert not (settings.resolved().storage_dir / "escape").is_symlink()
    assert (settings.resolved().storage_dir / "latest-notes").is_symlink()


def test_tampered_target_settings_are_not_taken_from_the_manifest(
    made: tuple[BackupSettings, Path], tmp_path: Path
) -> None:
    settings, backup = made
    manifest = json.loads((backup / "manifest.json").read_text())
    for component in manifest["components"]:
        component["source"] = str(tmp_path / "elsewhere")
    resign(backup, manifest)
    result = restore_backup(settings_for(data=settings.resolved().data_dir), backup.name)
    assert result.ok, result.error
    assert not (tmp_path / "elsewhere").exists()
    assert (settings.resolved().storage_dir / "docstore.json").read_text() != "changed"


def test_force_restores_what_passes_with_a_loud_warning(
    made: tuple[BackupSettings, Path], tmp_path: Path
) -> None:
    settings, backup = made
    damaged = "notes/résumé – 日本語.md"
    target = backup / "storage" / damaged
    target.write_bytes(target.read_bytes().replace(b"#", b"!"))
    env = cli_env(settings.resolved().data_dir)
    done = run_cli("restore-backup", backup.name, "--force", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "FAILED VERIFICATION (--force)" in done.stderr
    result = json.loads(done.stdout)
    assert result["forced"] is True and result["verified"] is False and result["undo_id"]
    storage = next(c for c in result["components"] if c["name"] == "storage")
    assert any(damaged in w for w in storage["warnings"])
    paths = settings.resolved()
    assert not (paths.storage_dir / damaged).exists(), "damaged bytes are never written"
    assert (paths.storage_dir / "docstore.json").read_text() != "changed"
