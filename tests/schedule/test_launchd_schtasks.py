"""launchd and Task Scheduler on a machine that has neither: what install would write and run."""

from __future__ import annotations

import json
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from persistence.schedule import (
    Schedule,
    SchedulerEnvironment,
    SchedulerKind,
    build_job,
    install_schedule,
)
from persistence.schedule.base import ToolRunner
from persistence.schedule.launchd import LaunchdScheduler, plist_bytes
from tests.conftest import AppState


def test_launchd_plist_parses_and_names_the_same_command(app_state: AppState) -> None:
    job = build_job(app_state.data_dir, Schedule.parse("6h", "01:10"))
    result = install_schedule(
        job, SchedulerEnvironment.current(SchedulerKind.LAUNCHD), dry_run=True
    )
    assert result.ok and result.dry_run
    (artifact,) = result.artifacts
    assert artifact.path.endswith(f"Library/LaunchAgents/org.app-backup.{job.entry_name}.plist")
    document = plistlib.loads(artifact.content.encode())
    assert document["Label"] == f"org.app-backup.{job.entry_name}"
    assert document["ProgramArguments"] == list(job.argv)
    assert document["ProgramArguments"][2:] == [
        "create-backup",
        "--data-dir",
        str(app_state.data_dir),
        "--json",
    ]
    assert document["WorkingDirectory"] == str(Path.cwd())
    assert document["StartCalendarInterval"] == [{"Hour": h, "Minute": 10} for h in (1, 7, 13, 19)]
    assert result.scheduler_commands[-1][:2] == ["launchctl", "bootstrap"]
    assert not Path(artifact.path).exists()  # a dry run writes nothing


def test_launchd_reads_back_what_it_would_write(app_state: AppState, tmp_path: Path) -> None:
    agents = tmp_path / "LaunchAgents"
    agents.mkdir()
    job = build_job(app_state.data_dir, Schedule.parse("weekly", "22:05"))
    (agents / f"org.app-backup.{job.entry_name}.plist").write_bytes(plist_bytes(job))
    entry = LaunchdScheduler(agents).read(job.entry_name, job.data_root, ToolRunner())
    assert entry is not None
    assert entry.schedule == "weekly on Monday at 22:05"
    assert entry.command == list(job.argv)


@pytest.mark.skipif(sys.platform == "darwin", reason="launchd is usable on macOS")
def test_launchd_off_macos_is_one_line_exit_2(app_state: AppState) -> None:
    job = build_job(app_state.data_dir, Schedule())
    result = install_schedule(job, SchedulerEnvironment.current(SchedulerKind.LAUNCHD))
    assert (result.ok, result.exit_code) == (False, 2)
    assert (
        result.error == "BACKUP_SCHEDULER=launchd: only on macOS (launchctl is not available here)"
    )


def test_schtasks_command_line_is_built() -> None:
    # Short paths: /TR has a 261-character limit, and the test must not depend on where the
    # repository was cloned beyond the interpreter and script paths.
    job = build_job(Path("/d"), Schedule.parse("6h", "02:30"), working_dir=Path("/w"))
    result = install_schedule(
        job, SchedulerEnvironment.current(SchedulerKind.SCHTASKS), dry_run=True
    )
    assert result.ok, result.error
    (create,) = result.scheduler_commands
    assert create[:5] == ["schtasks", "/Create", "/F", "/TN", job.entry_name]
    assert create[5:11] == ["/SC", "HOURLY", "/MO", "6", "/ST", "02:30"]
    assert create[11] == "/TR"
    task = create[12]
    assert task.startswith('cmd /c "cd /d "/w" && ')
    assert subprocess.list2cmdline(list(job.argv)) in task
    for every, timing in [
        ("daily", ["/SC", "DAILY", "/ST", "02:30"]),
        ("weekly", ["/SC", "WEEKLY", "/D", "MON", "/ST", "02:30"]),
        ("hourly", ["/SC", "HOURLY", "/MO", "1", "/ST", "00:30"]),
    ]:
        other = build_job(Path("/d"), Schedule.parse(every, "02:30"), working_dir=Path("/w"))
        shown = install_schedule(
            other, SchedulerEnvironment.current(SchedulerKind.SCHTASKS), dry_run=True
        )
        assert shown.scheduler_commands[0][5 : 5 + len(timing)] == timing


def test_schtasks_refuses_a_command_longer_than_it_accepts(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 200)
    job = build_job(deep, Schedule())
    result = install_schedule(
        job, SchedulerEnvironment.current(SchedulerKind.SCHTASKS), dry_run=True
    )
    assert (result.ok, result.exit_code) == (False, 2)
    assert result.error is not None and "schtasks allows 261" in result.error


@pytest.mark.skipif(sys.platform == "win32", reason="schtasks is usable on Windows")
def test_schtasks_off_windows_is_one_line_exit_2(app_state: AppState) -> None:
    job = build_job(app_state.data_dir, Schedule())
    result = install_schedule(job, SchedulerEnvironment.current(SchedulerKind.SCHTASKS))
    assert (result.ok, result.exit_code) == (False, 2)
    assert result.error is not None and "only on Windows" in result.error


def test_the_command_in_the_plist_makes_a_backup(app_state: AppState, tmp_path: Path) -> None:
    """ProgramArguments from WorkingDirectory, as launchd would start them: a backup appears."""
    import os

    project = tmp_path / "project"
    project.mkdir()
    job = build_job(app_state.data_dir, Schedule(), working_dir=project)
    document = plistlib.loads(plist_bytes(job))
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
    ran = subprocess.run(
        document["ProgramArguments"],
        cwd=document["WorkingDirectory"],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert app_state.backups() == [json.loads(ran.stdout)["backup_id"]]
