"""Issue 13 items 3 and 4: a manifest's values and the manifest file itself are not trusted."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from persistence.store.manifest import MANIFEST_NAME
from tests.conftest import AppState
from tests.harden.support import entry, make_backup, one_line, raw_manifest, write_signed
from tests.support.cli import run_cli


def _set(component: str, kind: str, field: str, value: object) -> Any:
    def mutate(manifest: dict[str, Any]) -> None:
        entry(manifest, component, kind)[field] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (_set("storage", "file", "mode", 0o6777), "mode"),
        (_set("storage", "file", "mode", -1), "mode"),
        (_set("storage", "file", "mtime", float("nan")), "mtime"),
        (_set("storage", "file", "mtime", 1e300), "mtime"),
        (_set("storage", "symlink", "link_target", "notes\x00/etc/passwd"), "link_target"),
        (_set("storage", "file", "path", "a" * 300), "path"),
        (_set("storage", "file", "size", -5), "size"),
    ],
    ids=["setuid", "negative-mode", "nan-mtime", "huge-mtime", "nul-target", "long-name", "size"],
)
def test_hostile_values_fail_verify_and_dry_run_with_4(
    app_state: AppState, mutate: Any, named: str
) -> None:
    backup = make_backup(app_state)
    manifest = raw_manifest(backup)
    mutate(manifest)
    write_signed(backup, manifest)
    env = app_state.env()
    for args in (("verify-backup", backup.name), ("restore-backup", backup.name, "--dry-run")):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 4, (args, proc.stdout, proc.stderr)
        line = one_line(proc.stderr)
        assert "Traceback" not in proc.stderr and named in line and "storage/" in line, line
    listed = json.loads(run_cli("list-backups", "--json", env=env).stdout)
    assert [row["valid"] for row in listed] == [False]


def test_restore_never_sets_setuid_or_setgid(app_state: AppState) -> None:
    program = app_state.data_dir / "storage" / "tool.sh"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o6755)
    backup = make_backup(app_state)
    recorded = next(
        r["mode"] for r in entry_list(raw_manifest(backup), "storage") if r["path"] == "tool.sh"
    )
    assert recorded == 0o755
    program.unlink()
    proc = run_cli("restore-backup", backup.name, "--only", "storage", env=app_state.env())
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(program.stat().st_mode) == 0o755


def entry_list(manifest: dict[str, Any], component: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = next(
        c["files"] for c in manifest["components"] if c["name"] == component
    )
    return found


def test_manifest_linked_to_dev_zero_blocks_nothing(app_state: AppState) -> None:
    good = make_backup(app_state)
    planted = make_backup(app_state)
    (planted / MANIFEST_NAME).unlink()
    os.symlink("/dev/zero", planted / MANIFEST_NAME)
    env = app_state.env()
    listed = run_cli("list-backups", "--json", env=env, timeout=30)
    assert listed.returncode == 0, listed.stderr
    rows = {row["backup_id"]: row for row in json.loads(listed.stdout)}
    assert rows[good.name]["valid"] is True
    assert rows[planted.name]["valid"] is False and "symlink" in rows[planted.name]["problem"]
    verify = run_cli("verify-backup", planted.name, env=env, timeout=30)
    assert verify.returncode == 4 and "symlink" in one_line(verify.stderr)
    pruned = run_cli("prune-backups", "--keep-last", "1", "--json", env=env, timeout=30)
    assert pruned.returncode == 0, pruned.stderr
    assert run_cli("verify-backup", good.name, env=env).returncode == 0


def test_oversized_manifest_is_refused_fast_naming_the_cap(app_state: AppState) -> None:
    backup = make_backup(app_state)
    with (backup / MANIFEST_NAME).open("r+b") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: costs no disk, reads as 200 MiB
    env = app_state.env()
    started = time.monotonic()
    listed = run_cli("list-backups", "--json", env=env, timeout=60)
    verify = run_cli("verify-backup", backup.name, env=env, timeout=60)
    elapsed = time.monotonic() - started
    assert listed.returncode == 0
    problem = json.loads(listed.stdout)[0]["problem"]
    assert "128 MiB" in problem and "limit" in problem
    assert verify.returncode == 4 and "128 MiB" in one_line(verify.stderr)
    assert elapsed < 20, elapsed


def test_manifest_that_is_a_fifo_is_refused(app_state: AppState, tmp_path: Path) -> None:
    backup = make_backup(app_state)
    (backup / MANIFEST_NAME).unlink()
    os.mkfifo(backup / MANIFEST_NAME)  # opening it for reading would block forever
    verify = run_cli("verify-backup", backup.name, env=app_state.env(), timeout=30)
    assert verify.returncode == 4 and "not a regular file" in one_line(verify.stderr)
