"""The CLI in its own process: exit codes, --json, SIGKILL, the lock, a full disk."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from persistence.store.locking import HOLDER_NAME, LockHolder
from persistence.store.runlog import RunKind, read_runs
from tests.conftest import AppState
from tests.support.cli import BACKUP_SCRIPT, run_cli
from tests.support.trees import tree_digest


def test_create_list_prune_end_to_end_with_json(app_state: AppState) -> None:
    env = app_state.env()
    created = [run_cli("create-backup", "--json", "--no-prune", env=env) for _ in range(3)]
    for proc in created:
        assert proc.returncode == 0, proc.stderr
    payloads = [json.loads(p.stdout) for p in created]
    first = payloads[0]
    assert first["ok"] is True and first["error"] is None
    assert Path(first["path"]).name == first["backup_id"]
    assert {c["name"] for c in first["components"]} >= {"cache_db", "storage", "uploads", "qdrant"}
    listed = run_cli("list-backups", "--json", env=env)
    assert listed.returncode == 0
    rows = json.loads(listed.stdout)
    assert [r["backup_id"] for r in rows] == [p["backup_id"] for p in payloads]
    assert all({"backup_id", "path", "created_at", "size_bytes"} <= r.keys() for r in rows)
    dry = run_cli("prune-backups", "--json", "--dry-run", "--keep-last", "1", env=env)
    plan = json.loads(dry.stdout)
    assert dry.returncode == 0 and plan["deleted"] == [p["backup_id"] for p in payloads[:2]]
    assert plan["kept"] == [payloads[2]["backup_id"]]
    assert plan["keep_rules"][payloads[2]["backup_id"]] == ["keep-last 1 (#1 newest)"]
    assert len(app_state.backups()) == 3
    applied = json.loads(run_cli("prune-backups", "--json", "--keep-last", "1", env=env).stdout)
    assert applied["deleted"] == plan["deleted"] and app_state.backups() == plan["kept"]


def test_bad_configuration_is_one_line_and_exit_2(app_state: AppState) -> None:
    proc = run_cli("create-backup", env=app_state.env(BACKUP_KEEP_LAST="many"))
    assert proc.returncode == 2
    assert "BACKUP_KEEP_LAST" in proc.stderr and "Traceback" not in proc.stderr
    unknown = run_cli("create-backup", "--no-such-flag", env=app_state.env())
    assert unknown.returncode == 2


def test_usage_errors_are_one_line_and_exit_2(app_state: AppState) -> None:
    """Unknown flags, bad values and unknown commands: one line naming the fix, like every
    other failure (Click's own report is four lines)."""
    for args, says in [
        (("create-backup", "--no-such-flag"), "--no-such-flag; see create-backup --help"),
        (("prune-backups", "--keep-last", "x"), "Invalid value for '--keep-last'"),
        (("no-such-command",), "No such command 'no-such-command'; see --help"),
    ]:  # fmt: skip
        proc = run_cli(*args, env=app_state.env())
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
        assert says in proc.stderr
        assert proc.stdout == ""
    group = run_cli("schedule", env=app_state.env())  # a group without its command: its help
    assert group.returncode == 2 and "install" in group.stderr and "Usage:" in group.stderr


def test_json_failure_is_still_one_json_document(app_state: AppState) -> None:
    app_state.settings.resolved().analytics_db.write_bytes(b"garbage")
    proc = run_cli("create-backup", "--json", env=app_state.env())
    assert proc.returncode == 1
    payload = json.loads(proc.stdout)
    assert payload["ok"] is False and payload["backup_id"] is None
    assert "analytics" in payload["error"]
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def _hold_cache_db(app_state: AppState) -> sqlite3.Connection:
    """An app mid-transaction with an exclusive lock: the backup waits for it."""
    db = app_state.settings.resolved().cache_db
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("BEGIN EXCLUSIVE")
    return con


def _start_create(app_state: AppState, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(BACKUP_SCRIPT), "create-backup", "--json"],
        env=app_state.env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_staging(backup_dir: Path, deadline: float = 30) -> Path:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = list(backup_dir.glob(".staging-*")) if backup_dir.exists() else []
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError("the run never started staging")


def test_sigkill_mid_run_leaves_nothing_complete_and_next_run_cleans_up(
    app_state: AppState,
) -> None:
    assert run_cli("create-backup", env=app_state.env()).returncode == 0
    before = app_state.backups()
    holder = _hold_cache_db(app_state)
    proc = _start_create(app_state)
    try:
        staging = _wait_for_staging(app_state.backup_dir)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert staging.exists(), "the killed run's staging is left behind"
    assert app_state.backups() == before, "nothing that looks complete"
    nxt = run_cli("create-backup", "--json", env=app_state.env(BACKUP_LOCK_TIMEOUT="5"))
    assert nxt.returncode == 0, nxt.stderr
    result = json.loads(nxt.stdout)
    assert result["leftovers_removed"] == [staging.name]
    assert not staging.exists()
    assert len(app_state.backups()) == len(before) + 1


def test_second_run_fails_cleanly_with_the_lock_message(app_state: AppState) -> None:
    holder = _hold_cache_db(app_state)
    first = _start_create(app_state)
    try:
        _wait_for_staging(app_state.backup_dir)
        second = run_cli("create-backup", env=app_state.env(BACKUP_LOCK_TIMEOUT="1"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    first_out, _ = first.communicate(timeout=60)
    assert second.returncode == 3
    assert "another backup run holds the lock" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert first.returncode == 0 and json.loads(first_out)["ok"] is True
    assert len(app_state.backups()) == 1


def _wait_until_sleeping(pid: int, deadline: float = 60) -> None:
    """Until process `pid` sleeps in the kernel. filelock waits for a held lock by polling with
    time.sleep, and a create run sleeps nowhere before the lock, so this is "at the lock"."""
    end = time.monotonic() + deadline
    wchan = Path(f"/proc/{pid}/wchan")
    while time.monotonic() < end:
        if "nanosleep" in wchan.read_text():
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never started waiting")


def test_two_concurrent_runs_are_serialized(app_state: AppState) -> None:
    # The first run is held mid-capture by an app's open transaction; the second starts while it
    # runs and reaches the lock. Without the lock the two runs would overlap for certain.
    app_state.backup_dir.mkdir(parents=True, exist_ok=True)
    sqlite_holder = _hold_cache_db(app_state)
    try:
        first = _start_create(app_state)
        _wait_for_staging(app_state.backup_dir)
        second = _start_create(app_state)
        _wait_until_sleeping(second.pid)
        time.sleep(0.2)
    finally:
        sqlite_holder.execute("ROLLBACK")
        sqlite_holder.close()
    runs = [first, second]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in runs]
    assert all(p.returncode == 0 for p in runs), outputs
    first_id, second_id = (o["backup_id"] for o in outputs)
    assert first_id != second_id
    assert len(app_state.backups()) == 2
    # Both backups exist either way; what the lock guarantees is that the runs did not overlap.
    # The holder file keeps the last run to take the lock and when it took it; the run log says
    # when the first run finished (recorded under the lock, before releasing it).
    holder = LockHolder.model_validate_json((app_state.backup_dir / HOLDER_NAME).read_bytes())
    assert holder.pid == second.pid
    records = {r.backup_id: r for r in read_runs(app_state.backup_dir) if r.kind is RunKind.CREATE}
    assert set(records) == {first_id, second_id}
    assert records[first_id].ok and records[second_id].ok
    assert records[first_id].finished_at <= holder.since <= records[second_id].finished_at, (
        f"the runs overlapped: {first_id} finished at {records[first_id].finished_at}, "
        f"the second run took the lock at {holder.since}"
    )


def _limit_file_size() -> None:
    # A file-size limit stands in for a full disk: writes past it fail with an OS error.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_disk_full_mid_copy_fails_cleanly(app_state: AppState) -> None:
    assert run_cli("create-backup", env=app_state.env()).returncode == 0
    before = tree_digest(app_state.backup_dir)
    proc = subprocess.run(
        # --full: an incremental run would link the unchanged upload instead of copying it.
        [sys.executable, str(BACKUP_SCRIPT), "create-backup", "--full", "--keep-last", "1"],
        env=app_state.env(),
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "uploads" in proc.stderr
    after = tree_digest(app_state.backup_dir)
    assert {k: v for k, v in after.items() if k.startswith("backup_")} == {
        k: v for k, v in before.items() if k.startswith("backup_")
    }
    assert not list(app_state.backup_dir.glob(".staging-*"))


def test_sigkill_in_the_middle_of_a_large_file(app_state: AppState) -> None:
    big = app_state.data_dir / "uploads" / "datasets" / "huge.bin"
    with big.open("wb") as handle:
        for _ in range(384):
            handle.write(b"\x5a" * (1024 * 1024))
    proc = _start_create(app_state)
    copy_seen = 0
    try:
        staging = _wait_for_staging(app_state.backup_dir)
        partial = staging / "uploads" / "datasets" / "huge.bin"
        end = time.monotonic() + 30
        while time.monotonic() < end and proc.poll() is None:
            copy_seen = partial.stat().st_size if partial.exists() else 0
            if 0 < copy_seen < big.stat().st_size:
                break
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert 0 < copy_seen < big.stat().st_size, "the kill must land mid-copy"
    assert app_state.backups() == []
    nxt = run_cli("create-backup", "--json", env=app_state.env())
    assert nxt.returncode == 0, nxt.stderr
    assert json.loads(nxt.stdout)["leftovers_removed"] == [staging.name]
    assert len(app_state.backups()) == 1
