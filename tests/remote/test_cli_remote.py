"""The remote commands exactly as a user runs them: real processes, real emulators."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from persistence.core.settings import load_settings
from persistence.store.runlog import RunKind, read_runs
from tests.conftest import AppState
from tests.remote.conftest import RemoteSetup, gcs_env, make_setup, s3_env
from tests.remote.emulators import FAKE_KEY_ID, FAKE_SECRET, Emulator, free_port
from tests.remote.fault_proxy import Fault, Rule, fault_proxy
from tests.remote.helpers import files_of
from tests.remote.test_faults import UPLOAD
from tests.restore.support import db_contents
from tests.support.cli import BACKUP_SCRIPT, run_cli
from tests.support.trees import tree_digest

TREES = ("storage", "uploads")


class Session:
    """Runs commands against one remote and keeps every byte they print, for the secret grep."""

    def __init__(self, setup: RemoteSetup) -> None:
        self.setup = setup
        self.printed: list[str] = []

    def env(self, data: Path, **extra: str) -> dict[str, str]:
        env = AppState(data, load_settings(data_dir=data)).env(**self.setup.env)
        env.update(BACKUP_REMOTE=self.setup.url, BACKUP_LOCK_TIMEOUT="5", **extra)
        return env

    def run(self, data: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        done = run_cli(*args, env=self.env(data, **extra), timeout=300)
        self.printed += [done.stdout, done.stderr]
        return done

    def json(self, data: Path, *args: str, **extra: str) -> tuple[int, Any]:
        done = self.run(data, *args, "--json", **extra)
        assert done.stdout, done.stderr
        return done.returncode, json.loads(done.stdout)


def _same_state(source: Path, target: Path, *, with_metadata: bool = True) -> None:
    """Same files (and, by default, modes and mtimes), same database rows."""
    digest = tree_digest if with_metadata else files_of
    for tree in TREES:
        assert digest(target / tree) == digest(source / tree), tree
    assert db_contents(load_settings(data_dir=target)) == db_contents(
        load_settings(data_dir=source)
    )


def _no_secret_anywhere(session: Session, root: Path) -> None:
    for secret in (FAKE_SECRET, FAKE_KEY_ID):
        assert not [text for text in session.printed if secret in text]
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert secret.encode() not in path.read_bytes(), path


def test_round_trip_create_push_pull_verify_restore(
    remote_setup: RemoteSetup, app_state: AppState, tmp_path: Path
) -> None:
    cli = Session(remote_setup)
    source = app_state.data_dir
    code, created = cli.json(source, "create-backup", "--push")
    assert code == 0, cli.printed[-1]
    pushed = created["remote"]
    assert pushed["pushed"] is True and pushed["objects_sent"] > 0
    assert pushed["bytes_sent"] > 0 and pushed["objects_skipped"] == 0
    backup_id = created["backup_id"]
    code, listed = cli.json(source, "list-backups", "--remote")
    assert code == 0
    assert [(b["backup_id"], b["valid"], b["location"]) for b in listed] == [
        (backup_id, True, "remote")
    ]
    shutil.rmtree(app_state.backup_dir / backup_id)
    empty = tmp_path / "empty-root"
    empty.mkdir()
    code, pulled = cli.json(empty, "pull-backup", "--latest")
    assert code == 0 and pulled["pulled"] is True and pulled["backup_id"] == backup_id
    assert cli.json(empty, "verify-backup", "--latest")[0] == 0
    code, remote_check = cli.json(empty, "verify-backup", "--remote", "--latest", "--deep")
    assert code == 0 and remote_check["objects_checked"] > 0
    code, restored = cli.json(empty, "restore-backup", "--latest")
    assert code == 0, restored
    _same_state(source, empty)
    code, listed = cli.json(empty, "list-backups", "--remote")
    assert listed[0]["verified_at"] is not None  # the passing remote verify above
    kinds = [r.kind for r in read_runs(empty / "backups")]
    assert RunKind.PULL in kinds and RunKind.REMOTE_VERIFY in kinds
    assert RunKind.PUSH in [r.kind for r in read_runs(app_state.backup_dir)]
    _no_secret_anywhere(cli, tmp_path)


@pytest.mark.parametrize("remote_setup", ["gcs"], indirect=True)
def test_container_start_restores_once_then_is_a_no_op(
    remote_setup: RemoteSetup, app_state: AppState, tmp_path: Path
) -> None:
    cli = Session(remote_setup)
    container = tmp_path / "container"
    container.mkdir()
    start = ("restore-backup", "--latest", "--from-remote", "--if-empty")
    first = cli.run(container, *start)
    assert first.returncode == 0, first.stderr
    assert "no complete backup on" in first.stdout + first.stderr
    assert cli.run(app_state.data_dir, "create-backup", "--push").returncode == 0
    code, restored = cli.json(container, *start)
    assert code == 0, restored
    assert restored["nothing_to_do"] is False
    # --if-empty restores what is missing; folder modes/mtimes are the full restore's job.
    _same_state(app_state.data_dir, container, with_metadata=False)
    # The second start must not even reach the remote: point it at a closed port.
    dead = gcs_env(f"http://127.0.0.1:{free_port()}")
    code, again = cli.json(container, *start, **dead)
    assert code == 0 and again["nothing_to_do"] is True


def test_push_backup_id_all_and_latest_are_idempotent(
    remote_setup: RemoteSetup, app_state: AppState
) -> None:
    cli = Session(remote_setup)
    assert cli.run(app_state.data_dir, "create-backup").returncode == 0
    backup_id = app_state.backups()[-1]
    code, first = cli.json(app_state.data_dir, "push-backup", backup_id)
    assert code == 0
    assert first["pushed"] is True and first["backup_ids"] == [backup_id]
    code, again = cli.json(app_state.data_dir, "push-backup", "--all")
    assert code == 0
    assert (again["backup_ids"], again["objects_sent"]) == ([], 0)
    code, latest = cli.json(app_state.data_dir, "push-backup", "--latest")
    assert (latest["objects_sent"], latest["objects_skipped"]) == (0, first["objects_sent"])
    # --debug shows logs, never the SDKs' signed headers or session URLs.
    assert cli.run(app_state.data_dir, "push-backup", "--all", "--debug").returncode == 0
    _no_secret_anywhere(cli, app_state.data_dir)


@pytest.mark.parametrize("kind", ["gcs", "s3"])
def test_sigkilled_push_backup_is_never_listed_complete_and_resumes(
    kind: str, request: pytest.FixtureRequest, app_state: AppState, tmp_path: Path
) -> None:
    server: Emulator = request.getfixturevalue(f"{kind}_server")
    with fault_proxy(server.url) as proxy:
        setup = make_setup(kind, tmp_path, request, endpoint=proxy.url)
        cli = Session(setup)
        assert cli.run(app_state.data_dir, "create-backup").returncode == 0
        method, path = UPLOAD[kind]
        # Three objects go up; the fourth upload hangs, and the process is killed there.
        proxy.add(Rule(Fault.STALL, method, path, times=1, after=3, stall_seconds=60))
        push = subprocess.Popen(
            [sys.executable, str(BACKUP_SCRIPT), "push-backup", "--json"],
            env=cli.env(app_state.data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not proxy.rules[0].fired and time.monotonic() < deadline:
            time.sleep(0.1)
        push.kill()
        push.wait()
        assert proxy.rules[0].fired == 1
        proxy.clear()
        code, listed = cli.json(app_state.data_dir, "list-backups", "--remote")
        assert code == 0
        assert [(b["valid"], "no manifest" in b["problem"]) for b in listed] == [(False, True)]
        code, resumed = cli.json(app_state.data_dir, "push-backup")
        assert code == 0, resumed
        assert resumed["objects_skipped"] == 3
        code, listed = cli.json(app_state.data_dir, "list-backups", "--remote")
        assert [b["valid"] for b in listed] == [True]


def test_remote_prune_after_push_keeps_the_newest(
    remote_setup: RemoteSetup, app_state: AppState
) -> None:
    cli = Session(remote_setup)
    for _ in range(2):
        done = cli.run(app_state.data_dir, "create-backup", BACKUP_REMOTE_KEEP_LAST="1")
        assert done.returncode == 0
    code, pushed = cli.json(app_state.data_dir, "push-backup", "--all")
    assert code == 0 and len(pushed["backup_ids"]) == 2
    assert pushed["prune"]["deleted"] == [] and len(pushed["prune"]["kept"]) == 2
    code, pruned = cli.json(
        app_state.data_dir, "prune-backups", "--remote", BACKUP_REMOTE_KEEP_LAST="1"
    )
    assert code == 0 and pruned["deleted"] == app_state.backups()[:1]
    code, listed = cli.json(app_state.data_dir, "list-backups", "--remote")
    assert [b["backup_id"] for b in listed] == app_state.backups()[1:]


@pytest.mark.parametrize("remote_setup", ["folder"], indirect=True)
def test_status_reports_the_newest_remote_backup(
    remote_setup: RemoteSetup, app_state: AppState
) -> None:
    cli = Session(remote_setup)
    code, before = cli.json(app_state.data_dir, "status")
    assert before["remote"] == {
        "remote": remote_setup.url,
        "backup_id": None,
        "created_at": None,
        "error": None,
    }
    assert cli.run(app_state.data_dir, "create-backup", "--push").returncode == 0
    code, after = cli.json(app_state.data_dir, "status")
    assert code == 0
    assert after["remote"]["backup_id"] == app_state.backups()[-1]
    assert after["remote"]["created_at"] is not None
    # A remote that does not answer is part of the answer, not a failure of `status`: the local
    # verdict and its exit code stand, and the reason comes back within seconds.
    env = AppState(app_state.data_dir, app_state.settings).env(
        **s3_env(f"http://127.0.0.1:{free_port()}"), BACKUP_REMOTE="s3://no-one-listens/p"
    )
    started = time.monotonic()
    done = run_cli("status", "--json", env=env)
    assert time.monotonic() - started < 20
    down = json.loads(done.stdout)
    assert (done.returncode, down["state"]) == (0, "ok"), done.stderr
    assert down["remote"]["backup_id"] is None
    assert "no-one-listens" in down["remote"]["error"]
    assert FAKE_SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize("remote_setup", ["folder"], indirect=True)
def test_an_incomplete_remote_backup_fails_verification_and_an_unknown_one_is_usage(
    remote_setup: RemoteSetup, app_state: AppState
) -> None:
    cli = Session(remote_setup)
    assert cli.run(app_state.data_dir, "create-backup", "--push").returncode == 0
    backup_id = app_state.backups()[-1]
    (damaged,) = Path(remote_setup.url).glob(f"*/*/*/{backup_id}/storage/docstore.json")
    damaged.unlink()
    for args in (["verify-backup", "--remote", backup_id], ["pull-backup", backup_id]):
        code, result = cli.json(app_state.data_dir, *args)
        assert (code, result["exit_code"]) == (4, 4), result
        assert "incomplete" in result["error"] and "storage/docstore.json" in result["error"]
    code, result = cli.json(app_state.data_dir, "verify-backup", "--remote", "backup_nope")
    assert (code, result["exit_code"]) == (2, 2)
