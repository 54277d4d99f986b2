"""Issue 13 items 2, 5 and 11: a dry run finds every problem the real restore would, with the
same exit code, and no command reads a backup through a symlinked component folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import AppState
from tests.harden.support import make_backup, one_line, raw_manifest, write_signed
from tests.support.cli import run_cli
from tests.support.trees import tree_digest


def test_dry_run_reports_damage_with_the_real_runs_exit_code(app_state: AppState) -> None:
    backup = make_backup(app_state)
    damaged = backup / "storage" / "docstore.json"
    damaged.write_bytes(damaged.read_bytes() + b" tampered")
    # The live copy differs, so both runs would write this file: both must check it (a restore
    # reads only what it writes, issue 12; the preview must agree with it, issue 13).
    (app_state.data_dir / "storage" / "docstore.json").write_text("changed since the backup\n")
    env = app_state.env()
    dry = run_cli("restore-backup", backup.name, "--dry-run", "--json", env=env)
    real = run_cli("restore-backup", backup.name, "--json", env=env)
    assert dry.returncode == real.returncode == 4, (dry.stdout, real.stdout)
    dry_error = json.loads(dry.stdout)["error"]
    assert dry_error == json.loads(real.stdout)["error"]
    assert "docstore.json" in dry_error and "already identical" not in dry.stdout
    assert "docstore.json" in one_line(dry.stderr)


def test_symlinked_component_folder_is_refused_by_every_reader(
    app_state: AppState, tmp_path: Path
) -> None:
    backup = make_backup(app_state)
    outside = tmp_path / "outside-storage"
    shutil.copytree(backup / "storage", outside, symlinks=True)
    (outside / "docstore.json").write_text('{"planted": true}')
    shutil.rmtree(backup / "storage")
    (backup / "storage").symlink_to(outside)
    live = app_state.data_dir / "storage"
    (live / "docstore.json").write_text('{"live": true}')  # a restore would have work to do
    before = tree_digest(live)
    env = app_state.env()
    verify = run_cli("verify-backup", backup.name, env=env)
    assert verify.returncode == 4 and "storage" in one_line(verify.stderr)
    dry = run_cli("restore-backup", backup.name, "--dry-run", env=env)
    assert dry.returncode == 4, dry.stdout + dry.stderr
    for args in (
        ("restore-backup", backup.name, "--dry-run", "--force"),
        ("restore-backup", backup.name, "--force"),
    ):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "symlink" in proc.stdout + proc.stderr
    assert tree_digest(live) == before
    assert '"planted"' not in (live / "docstore.json").read_text()


def test_path_longer_than_the_os_allows_is_exit_4_naming_the_entry(app_state: AppState) -> None:
    backup = make_backup(app_state)
    manifest = raw_manifest(backup)
    storage = next(c for c in manifest["components"] if c["name"] == "storage")
    deep = "/".join(["d" * 200] * 25)  # every name fits NAME_MAX, the whole path not PATH_MAX
    storage["files"].append({"path": deep, "kind": "file", "size": 0, "mode": 384, "mtime": 0})
    write_signed(backup, manifest)
    env = app_state.env()
    for args in (
        ("verify-backup", backup.name),
        ("restore-backup", backup.name, "--dry-run"),
        ("restore-backup", backup.name),
    ):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 4, (args, proc.stderr)
        line = one_line(proc.stderr)
        assert "storage/ddd" in line and "4095" in line, line
