"""Issue 13 item 1: a restore killed around the database swap, then the NEXT CREATE.

The old `cache.db-wal` must never be replayed onto the restored file: whichever side of the
commit rename the restore died on, the next run (here create-backup) finishes or undoes the
swap first, so the backup it makes holds the old database or the restored one, never a mix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crash.strace_kill import (
    KillPoint,
    run_killed,
    strace_binary,
    trace_kill_points,
    was_killed,
)
from tests.crash.world import copy_world, env_for, leftovers, make_template, sqlite_rows
from tests.support.cli import run_cli

pytestmark = pytest.mark.skipif(strace_binary() is None, reason="strace is not installed")

RESTORE = ["restore-backup", "--latest", "--json"]


def _swap_points(points: list[KillPoint]) -> list[KillPoint]:
    """Renaming the old -wal aside (before the commit) and deleting it (after)."""
    chosen = [
        p
        for p in points
        if '"<data>/cache/' in p.detail
        and "cache.db-wal" in p.detail
        and p.syscall in ("rename", "renameat2", "unlink", "unlinkat")
    ]
    assert {p.syscall[:6] for p in chosen} == {"rename", "unlink"}, [p.label() for p in points]
    return chosen


def _backed_up_rows(data: Path, scratch: Path) -> list[tuple[object, ...]]:
    created = run_cli("create-backup", "--no-prune", "--json", env=env_for(data))
    assert created.returncode == 0, created.stderr
    backup = Path(json.loads(created.stdout)["path"])
    return sqlite_rows(backup / "cache_db" / "cache.db", scratch)


def test_next_create_after_a_restore_killed_around_the_swap(tmp_path: Path) -> None:
    template = make_template(tmp_path / "template", backups=1, live_changes=True)
    old_rows = sqlite_rows(template / "cache" / "cache.db", tmp_path / "scratch")
    backup = next((template / "backups").glob("backup_*"))
    new_rows = sqlite_rows(backup / "cache_db" / "cache.db", tmp_path / "scratch")
    assert old_rows != new_rows
    traced = copy_world(template, tmp_path / "traced" / "data")
    points = trace_kill_points(RESTORE, env_for(traced), tmp_path / "trace.log", traced)
    for index, point in enumerate(_swap_points(points)):
        data = copy_world(template, tmp_path / f"kill-{index}" / "data")
        killed = run_killed(RESTORE, env_for(data), point)
        assert was_killed(killed), point.label()
        # Call counts can shift by a step between runs (SQLite's own unlinks), so which side
        # of the commit rename the kill fell on is read from the disk, not from the label.
        restored_file = (backup / "cache_db" / "cache.db").read_bytes()
        committed = (data / "cache" / "cache.db").read_bytes() == restored_file
        rows = _backed_up_rows(data, tmp_path / "scratch")
        assert rows in (old_rows, new_rows), f"{point.label()}: the next backup holds a mix"
        assert rows == (new_rows if committed else old_rows), point.label()
        assert not leftovers(data), (point.label(), leftovers(data))
