"""The run log keeps its history whatever it meets: newer records, damage, a full disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from persistence import service
from persistence.store.runlog import RUNLOG_NAME, RunKind, read_runs, record_run
from tests.conftest import AppState
from tests.support.cli import run_cli


def test_records_of_a_newer_version_survive_an_append(tmp_path: Path) -> None:
    log = tmp_path / RUNLOG_NAME
    future = {"kind": "rotate", "ok": True, "started_at": "2030-01-01T00:00:00Z"}
    log.write_text(json.dumps({"runs": [future]}))
    record_run(tmp_path, RunKind.PRUNE, started_at=datetime.now(UTC), ok=True)
    runs = json.loads(log.read_text())["runs"]
    assert runs[0] == future and runs[1]["kind"] == "prune"
    assert [r.kind for r in read_runs(tmp_path)] == [RunKind.PRUNE]


def test_a_damaged_log_is_kept_aside_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / RUNLOG_NAME).write_text('{"runs": [ {"kind": "create", "ok": tru')
    record_run(tmp_path, RunKind.CREATE, started_at=datetime.now(UTC), ok=True)
    aside = list(tmp_path.glob(f"{RUNLOG_NAME}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().endswith("tru")
    assert len(read_runs(tmp_path)) == 1


def test_a_retention_beyond_a_century_is_a_usage_error(app_state: AppState) -> None:
    proc = run_cli("create-backup", "--json", env=app_state.env(BACKUP_RETENTION_DAYS="inf"))
    assert proc.returncode == 2 and "BACKUP_RETENTION_DAYS" in proc.stderr
    assert app_state.backups() == [], "refused before anything was written"
    flag = run_cli("prune-backups", "--keep-within-days", "1e308", env=app_state.env())
    assert flag.returncode == 2


def test_a_failed_create_is_recorded(app_state: AppState) -> None:
    app_state.settings.resolved().analytics_db.write_bytes(b"garbage")
    result = service.create_backup(app_state.settings)
    assert not result.ok
    last = read_runs(app_state.backup_dir)[-1]
    assert last.kind is RunKind.CREATE and not last.ok and "analytics" in (last.error or "")
