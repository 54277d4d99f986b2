"""`status` states from real backup folders and real run logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from persistence import service
from persistence.core.settings import load_settings
from persistence.monitoring import BackupState, compute_status
from tests.conftest import AppState
from tests.engine.helpers import backdate


def test_never_before_the_first_backup(app_state: AppState) -> None:
    status = compute_status(app_state.backup_dir, 24)
    assert (status.state, status.ok, status.exit_code) == (BackupState.NEVER, False, 1)
    assert status.newest_backup is None and status.last_run is None


def test_ok_after_a_backup_then_late_as_it_ages(app_state: AppState) -> None:
    created = service.create_backup(app_state.settings, prune=False, skip_qdrant=True)
    assert created.ok
    status = compute_status(app_state.backup_dir, 24)
    assert (status.state, status.exit_code) == (BackupState.OK, 0)
    assert status.newest_backup is not None
    assert status.newest_backup.backup_id == created.backup_id
    assert status.newest_backup.age_seconds < 60
    assert status.last_run is not None and status.last_run.ok

    # 1.5 x 24 h is the line: 35 h is still ok, 37 h is late.
    assert (
        compute_status(app_state.backup_dir, 24, now=datetime.now(UTC) + timedelta(hours=35)).state
        is BackupState.OK
    )
    late = compute_status(app_state.backup_dir, 24, now=datetime.now(UTC) + timedelta(hours=37))
    assert (late.state, late.exit_code) == (BackupState.LATE, 1)
    assert late.error is not None and "BACKUP_EXPECTED_INTERVAL_HOURS" in late.error


def test_late_from_a_really_old_backup_folder(app_state: AppState) -> None:
    created = service.create_backup(app_state.settings, prune=False, skip_qdrant=True)
    assert created.ok and created.backup_id
    backdate(app_state.backup_dir / created.backup_id, datetime.now(UTC) - timedelta(days=3))
    status = compute_status(app_state.backup_dir, 24)
    assert status.state is BackupState.LATE
    assert status.newest_backup is not None
    assert status.newest_backup.age_seconds > 71 * 3600


def test_failing_when_the_last_create_failed(app_state: AppState) -> None:
    assert service.create_backup(app_state.settings, prune=False, skip_qdrant=True).ok
    # A refused Qdrant server fails the next create for real; the run log records it.
    broken = load_settings(data_dir=app_state.data_dir, qdrant_url="http://127.0.0.1:9")
    failed = service.create_backup(broken, prune=False)
    assert not failed.ok
    status = compute_status(app_state.backup_dir, 24)
    assert (status.state, status.exit_code) == (BackupState.FAILING, 1)
    assert status.newest_backup is not None  # the earlier backup is still there
    assert status.last_run is not None and not status.last_run.ok
    # The next good run clears it.
    assert service.create_backup(app_state.settings, prune=False, skip_qdrant=True).ok
    assert compute_status(app_state.backup_dir, 24).state is BackupState.OK
