"""`status` as a monitor runs it: each state with its exit code, from real backups and run logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.conftest import AppState
from tests.engine.helpers import backdate
from tests.support.cli import run_cli


def status_of(app_state: AppState, **extra: str) -> tuple[int, dict[str, object]]:
    done = run_cli("status", "--json", env=app_state.env(**extra))
    return done.returncode, json.loads(done.stdout)


def test_every_state_with_its_exit_code(app_state: AppState) -> None:
    code, never = status_of(app_state)
    assert (code, never["state"]) == (1, "never")

    created = run_cli("create-backup", "--json", env=app_state.env())
    assert created.returncode == 0, created.stderr
    backup_id = json.loads(created.stdout)["backup_id"]
    code, ok = status_of(app_state)
    assert (code, ok["state"]) == (0, "ok")
    assert isinstance(ok["newest_backup"], dict) and ok["newest_backup"]["backup_id"] == backup_id

    backdate(app_state.backup_dir / backup_id, datetime.now(UTC) - timedelta(hours=7))
    code, late = status_of(app_state, BACKUP_EXPECTED_INTERVAL_HOURS="4")
    assert (code, late["state"]) == (1, "late")
    code, still_ok = status_of(app_state, BACKUP_EXPECTED_INTERVAL_HOURS="5")  # 7 h < 7.5 h
    assert (code, still_ok["state"]) == (0, "ok")

    failed = run_cli("create-backup", "--json", env=app_state.env(QDRANT_URL="http://127.0.0.1:9"))
    assert failed.returncode == 1
    code, failing = status_of(app_state)
    assert (code, failing["state"]) == (1, "failing")
    assert isinstance(failing["last_run"], dict) and failing["last_run"]["ok"] is False


def test_plain_output_names_the_state(app_state: AppState) -> None:
    done = run_cli("status", env=app_state.env())
    assert done.returncode == 1
    assert done.stdout.startswith("never: no complete backup yet")
    assert done.stderr == ""


def test_bad_settings_are_one_line_exit_2_and_one_json_document(app_state: AppState) -> None:
    env = app_state.env(BACKUP_DIR="/elsewhere/outside")
    plain = run_cli("status", env=env)
    assert plain.returncode == 2 and len(plain.stderr.strip().splitlines()) == 1
    as_json = run_cli("status", "--json", env=env)
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["exit_code"] == 2
