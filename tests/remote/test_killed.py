"""SIGKILL of a push or a remote prune: never listed complete, and the next run finishes it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from persistence.offsite.layout import data_objects
from persistence.offsite.listing import scan_remote
from persistence.offsite.prune import prune_remote
from persistence.offsite.push import push_backup
from persistence.retention.policy import RetentionPolicy
from tests.conftest import AppState
from tests.remote.conftest import RemoteSetup
from tests.remote.helpers import make_backup
from tests.support.cli import REPO_ROOT

SCRIPT = Path(__file__).with_name("die_midway.py")


def _run(setup: RemoteSetup, *args: str) -> None:
    import os

    env = {**os.environ, **setup.env, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]


@pytest.mark.parametrize("point", ["bytes", "1", "half", "data", "manifest"])
def test_killed_push_resumes_without_resending(
    remote_setup: RemoteSetup, app_state: AppState, point: str
) -> None:
    backup = make_backup(app_state.settings)
    n_data = len(data_objects(backup.manifest))
    done = {"bytes": 0, "1": 1, "half": n_data // 2, "data": n_data, "manifest": n_data + 1}[point]
    kill_at = "bytes" if point == "bytes" else str(done)
    _run(
        remote_setup, "push", str(app_state.backup_dir), backup.backup_id, remote_setup.url, kill_at
    )
    remote = remote_setup.open()
    listed = scan_remote(remote)
    assert [b.complete for b in listed] in ([], [False])
    resumed = push_backup(remote, backup)
    # Killed inside the first upload: S3 may report bytes only once that object is whole.
    assert resumed.objects_skipped in ((0, 1) if point == "bytes" else (done,))
    assert resumed.objects_sent + resumed.objects_skipped == n_data + 2
    assert [(b.backup_id, b.complete) for b in scan_remote(remote)] == [(backup.backup_id, True)]


@pytest.mark.parametrize("nth", [1, 2, 4])
def test_killed_prune_is_never_listed_complete_and_the_next_finishes(
    remote_setup: RemoteSetup, app_state: AppState, nth: int
) -> None:
    remote = remote_setup.open()
    ids = []
    for _ in range(2):
        backup = make_backup(app_state.settings)
        push_backup(remote, backup)
        ids.append(backup.backup_id)
    _run(remote_setup, "prune", remote_setup.url, "1", str(nth))
    listed = {b.backup_id: b for b in scan_remote(remote)}
    assert listed[ids[1]].complete
    assert ids[0] not in listed or not listed[ids[0]].complete
    prune_remote(remote, RetentionPolicy(keep_last=1), dry_run=False)
    assert [(b.backup_id, b.complete) for b in scan_remote(remote)] == [(ids[1], True)]
