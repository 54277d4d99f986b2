"""systemd user timers: real `systemd-analyze verify`, recorded systemctl, the exact command run."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from persistence.backup.sample_state import create_sample_state
from persistence.core.settings import load_settings
from persistence.schedule import (
    Every,
    Schedule,
    SchedulerEnvironment,
    SchedulerKind,
    build_job,
    install_schedule,
    remove_schedule,
    schedule_status,
)
from persistence.store.runlog import RunKind
from tests.conftest import AppState
from tests.schedule.conftest import RecordedTool
from tests.support.ci import running_in_ci

# Under CI=true the tests run regardless, and fail without the binary (.ci/run installs it).
needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None and not running_in_ci(),
    reason="Debian's systemd package is not installed (.ci/run installs it)",
)


def unit_dir(config_home: Path) -> Path:
    return config_home / "systemd" / "user"


def verify_units(*units: Path, runtime_dir: Path) -> subprocess.CompletedProcess[str]:
    # --user needs a runtime folder to set up its manager; a private one does for verifying.
    runtime_dir.mkdir(exist_ok=True, mode=0o700)
    return subprocess.run(
        ["systemd-analyze", "verify", "--user", *map(str, units)],
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir)},
        capture_output=True,
        text=True,
        check=False,
    )


def exec_start_argv(service: Path) -> list[str]:
    """ExecStart= read the way systemd reads it: quoted words, %% and $$ unescaped."""
    line = next(line for line in service.read_text().splitlines() if line.startswith("ExecStart="))
    value = line.split("=", 1)[1]
    return [word.replace("%%", "%").replace("$$", "$") for word in shlex.split(value)]


def working_directory(service: Path) -> Path:
    line = next(
        line for line in service.read_text().splitlines() if line.startswith("WorkingDirectory=")
    )
    return Path(line.split("=", 1)[1].replace("%%", "%"))


@needs_analyze
@pytest.mark.parametrize("every", list(Every))
def test_generated_units_pass_systemd_analyze_verify(
    every: Every,
    app_state: AppState,
    config_home: Path,
    recorded_systemctl: RecordedTool,
    tmp_path: Path,
) -> None:
    job = build_job(app_state.data_dir, Schedule.parse(every.value, "02:30"))
    result = install_schedule(job, SchedulerEnvironment.current(SchedulerKind.SYSTEMD))
    assert result.ok, result.error
    units = sorted(unit_dir(config_home).iterdir())
    assert [u.suffix for u in units] == [".service", ".timer"]
    verified = verify_units(*units, runtime_dir=tmp_path / "runtime")
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == ""
    timer = units[1].read_text()
    assert "Persistent=true" in timer
    assert "RandomizedDelaySec=5min" in timer


@needs_analyze
def test_a_broken_unit_is_caught_by_the_same_verify(tmp_path: Path) -> None:
    """The verify step above can fail: a bad calendar spec is refused."""
    bad = tmp_path / "broken.timer"
    bad.write_text("[Timer]\nOnCalendar=every other tuesday\n[Install]\nWantedBy=timers.target\n")
    assert verify_units(bad, runtime_dir=tmp_path / "runtime").returncode != 0


def test_install_status_remove_round_trip(
    app_state: AppState, config_home: Path, recorded_systemctl: RecordedTool
) -> None:
    environment = SchedulerEnvironment.current()  # detected: the recorded systemctl answers
    job = build_job(app_state.data_dir, Schedule.parse("6h", "02:30"))

    installed = install_schedule(job, environment)
    assert installed.ok, installed.error
    assert installed.scheduler is SchedulerKind.SYSTEMD
    timer_name = f"{job.entry_name}.timer"
    calls = recorded_systemctl.calls()
    assert ["--user", "daemon-reload"] in calls
    assert ["--user", "enable", "--now", timer_name] in calls
    assert calls.index(["--user", "daemon-reload"]) < calls.index(
        ["--user", "enable", "--now", timer_name]
    )
    timer = (unit_dir(config_home) / timer_name).read_text()
    assert "OnCalendar=*-*-* 02,08,14,20:30:00" in timer

    status = schedule_status(app_state.data_dir, app_state.backup_dir, environment)
    assert status.installed
    assert status.entry is not None
    assert status.entry.schedule == "every 6h at 02:30, 08:30, 14:30, 20:30"
    assert status.entry.command == list(job.argv)
    assert status.entry.working_dir == str(Path.cwd())
    assert status.last_run is None  # nothing ran yet

    removed = remove_schedule(app_state.data_dir, environment)
    assert removed.ok
    assert sorted(Path(p).name for p in removed.removed) == [
        f"{job.entry_name}.service",
        timer_name,
    ]
    assert ["--user", "disable", "--now", timer_name] in recorded_systemctl.calls()
    assert list(unit_dir(config_home).iterdir()) == []
    after = schedule_status(app_state.data_dir, app_state.backup_dir, environment)
    assert after.ok and not after.installed
    again = remove_schedule(app_state.data_dir, environment)
    assert again.ok and again.removed == []


def test_second_install_replaces_and_two_roots_get_two_entries(
    app_state: AppState, config_home: Path, recorded_systemctl: RecordedTool, tmp_path: Path
) -> None:
    environment = SchedulerEnvironment.current(SchedulerKind.SYSTEMD)
    first = build_job(app_state.data_dir, Schedule.parse("daily", "01:00"))
    assert install_schedule(first, environment).ok
    second = build_job(app_state.data_dir, Schedule.parse("weekly", "04:15"))
    assert install_schedule(second, environment).ok
    timers = sorted(unit_dir(config_home).glob("*.timer"))
    assert len(timers) == 1
    assert "OnCalendar=Mon *-*-* 04:15:00" in timers[0].read_text()

    other_root = tmp_path / "other-data"
    other_root.mkdir()
    other = build_job(other_root, Schedule())
    assert other.entry_name != first.entry_name
    assert install_schedule(other, environment).ok
    assert len(list(unit_dir(config_home).glob("*.timer"))) == 2
    assert remove_schedule(other_root, environment).ok
    assert [t.name for t in unit_dir(config_home).glob("*.timer")] == [timers[0].name]


def test_status_reports_the_last_run_from_the_run_log(
    app_state: AppState, config_home: Path, recorded_systemctl: RecordedTool
) -> None:
    from persistence import service

    environment = SchedulerEnvironment.current(SchedulerKind.SYSTEMD)
    assert install_schedule(build_job(app_state.data_dir, Schedule()), environment).ok
    created = service.create_backup(app_state.settings, prune=False, skip_qdrant=True)
    assert created.ok
    status = schedule_status(app_state.data_dir, app_state.backup_dir, environment)
    assert status.last_run is not None
    assert status.last_run.kind is RunKind.CREATE
    assert status.last_run.ok
    assert status.last_run.backup_id == created.backup_id


def test_the_command_in_the_unit_makes_a_backup(
    tmp_path: Path, config_home: Path, recorded_systemctl: RecordedTool
) -> None:
    """ExecStart= exactly as written, from WorkingDirectory=, with a `.env` there: a backup."""
    data_dir = tmp_path / "da ta %n $HOME"  # space, a specifier and a variable must survive
    create_sample_state(load_settings(data_dir=data_dir).resolved(), large_file_mib=1)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("BACKUP_INCLUDE_LOGS=true\n")
    job = build_job(data_dir, Schedule(), working_dir=project)
    assert install_schedule(job, SchedulerEnvironment.current(SchedulerKind.SYSTEMD)).ok
    service_file = unit_dir(config_home) / f"{job.entry_name}.service"

    argv = exec_start_argv(service_file)
    assert argv == list(job.argv)
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
    ran = subprocess.run(
        argv,
        cwd=working_directory(service_file),
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["ok"] is True
    assert (data_dir / "backups" / result["backup_id"] / "manifest.json").is_file()
    statuses = {c["name"]: c["status"] for c in result["components"]}
    assert statuses["logs"] == "captured"  # BACKUP_INCLUDE_LOGS came from the project's .env


def test_forced_systemd_without_a_user_session_is_one_line_exit_2(
    app_state: AppState, config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin-failing"
    bin_dir.mkdir()
    failing = bin_dir / "systemctl"
    failing.write_text("#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    job = build_job(app_state.data_dir, Schedule())
    result = install_schedule(job, SchedulerEnvironment.current(SchedulerKind.SYSTEMD))
    assert not result.ok
    assert result.exit_code == 2
    assert result.error is not None and "\n" not in result.error
    assert "no systemd user session" in result.error
    assert not unit_dir(config_home).exists()


def test_with_a_remote_the_scheduled_run_also_pushes(
    tmp_path: Path, config_home: Path, recorded_systemctl: RecordedTool
) -> None:
    """BACKUP_REMOTE set at install: the unit's command pushes each new backup off-site."""
    from persistence.schedule.for_settings import install_for

    data_dir = tmp_path / "data"
    create_sample_state(load_settings(data_dir=data_dir).resolved(), large_file_mib=1)
    remote = tmp_path / "offsite"
    remote.mkdir()
    settings = load_settings(data_dir=data_dir, remote=str(remote), scheduler="systemd")
    installed = install_for(settings)
    assert installed.ok, installed.error
    service_file = next(unit_dir(config_home).glob("*.service"))
    argv = exec_start_argv(service_file)
    assert argv[-1] == "--push"
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
    clean_env["BACKUP_REMOTE"] = str(remote)
    ran = subprocess.run(
        argv,
        cwd=working_directory(service_file),
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = json.loads(ran.stdout)
    assert result["remote"]["pushed"] is True
    pushed = list(remote.rglob(f"{result['backup_id']}/manifest.json"))
    assert len(pushed) == 1
