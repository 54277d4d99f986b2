"""write_atomic: threads of one process never share a temp; killed writers' temps are cleaned."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from persistence.core.atomic import atomic_temp_for, atomic_temp_owner, write_atomic
from persistence.core.paths import check_paths
from persistence.runs.leftovers import clean_leftovers
from tests.conftest import AppState
from tests.support.processes import dead_pid


def test_threads_writing_one_file_together_never_trip_over_each_other(tmp_path: Path) -> None:
    """With one temp name per process, one thread removed another's temp under it and the
    other's rename then failed (or published a half-written file)."""
    folder = tmp_path / "root"
    folder.mkdir()
    target = folder / "runs.json"
    payloads = [bytes([65 + n]) * 200_000 for n in range(4)]
    failures: list[BaseException] = []

    def writer(payload: bytes) -> None:
        try:
            for _ in range(50):
                write_atomic(target, payload)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert target.read_bytes() in payloads
    assert sorted(p.name for p in folder.iterdir()) == ["runs.json"]


def test_each_thread_has_its_own_temp_name(tmp_path: Path) -> None:
    names: list[Path] = []
    thread = threading.Thread(target=lambda: names.append(atomic_temp_for(tmp_path / "x")))
    thread.start()
    thread.join()
    here = atomic_temp_for(tmp_path / "x")
    assert names[0] != here
    assert atomic_temp_owner(names[0].name) == atomic_temp_owner(here.name) == os.getpid()


def test_temps_of_killed_writers_are_removed_and_live_ones_kept(app_state: AppState) -> None:
    paths = check_paths(app_state.settings)
    root = paths.backup_dir
    root.mkdir(parents=True, exist_ok=True)
    dead = dead_pid()
    killed_new = root / f".runs.json.tmp-{dead}-{dead}"
    killed_old = root / f".runs.json.tmp-{dead}"  # the name versions before this one wrote
    live = atomic_temp_for(root / "runs.json")
    not_ours = root / ".runs.json.tmp-abc"
    for path in (killed_new, killed_old, live, not_ours):
        path.write_text("partial")
    removed = clean_leftovers(paths).removed
    assert sorted(removed) == sorted([killed_new.name, killed_old.name])
    assert live.exists()
    assert not_ours.exists()


def test_a_write_that_fails_leaves_no_temp_behind(tmp_path: Path) -> None:
    """A full disk (here: a file-size limit, EFBIG) stops the write half way: the half-written
    temp must go with it. Unit-file folders and a remote's index have no leftover cleaner, and
    a long-lived process (the panel) is alive, so its temps are never judged stale."""
    folder = tmp_path / "units"
    folder.mkdir()
    code = f"""
import resource, signal
from pathlib import Path
from persistence.core.atomic import write_atomic

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    write_atomic(Path({str(folder / "backup.service")!r}), b"x" * 1024 * 1024)
except OSError as exc:
    print(exc.errno)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert proc.stdout.strip() == str(errno.EFBIG)
    assert sorted(p.name for p in folder.iterdir()) == []


def test_a_rename_that_fails_leaves_no_temp_behind(tmp_path: Path) -> None:
    folder = tmp_path / "root"
    folder.mkdir()
    (folder / "runs.json").mkdir()  # in the way: the rename cannot replace a folder
    with pytest.raises(OSError):
        write_atomic(folder / "runs.json", b"{}")
    assert sorted(p.name for p in folder.iterdir()) == ["runs.json"]


def test_only_ascii_digits_name_an_owner() -> None:
    """`\\d` also matches other scripts' digits, which int() reads as a pid: a file named so is
    no temp of ours and must never be judged one."""
    assert atomic_temp_owner(".runs.json.tmp-123-456") == 123
    assert atomic_temp_owner(".runs.json.tmp-123") == 123
    assert atomic_temp_owner(".runs.json.tmp-\u0661\u0662\u0663") is None
    assert atomic_temp_owner(".runs.json.tmp-123-\u0661") is None
