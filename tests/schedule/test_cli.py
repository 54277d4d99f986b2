"""The schedule commands as a user runs them, each in its own process."""

from __future__ import annotations

import json
import os
import plistlib
import tempfile
from pathlib import Path

from tests.conftest import AppState
from tests.schedule.conftest import RecordedTool, place_recorder
from tests.support.cli import run_cli


def systemd_env(app_state: AppState, tmp_path: Path) -> tuple[dict[str, str], RecordedTool]:
    tool = place_recorder(tmp_path / "bin", "systemctl")
    env = app_state.env(
        BACKUP_SCHEDULER="systemd",
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
    )
    return env, tool


def test_install_status_remove_through_the_cli(app_state: AppState, tmp_path: Path) -> None:
    env, systemctl = systemd_env(app_state, tmp_path)
    installed = run_cli("schedule", "install", "--every", "12h", "--at", "01:00", "--json", env=env)
    assert installed.returncode == 0, installed.stderr
    result = json.loads(installed.stdout)
    assert result["ok"] and result["scheduler"] == "systemd"
    assert result["entry"]["schedule"] == "every 12h at 01:00, 13:00"
    timer = Path(result["artifacts"][1]["path"])
    assert timer.parent == tmp_path / "xdg" / "systemd" / "user"
    assert ["--user", "enable", "--now", timer.name] in systemctl.calls()

    status = run_cli("schedule", "status", "--json", env=env)
    assert status.returncode == 0
    shown = json.loads(status.stdout)
    assert shown["installed"] is True
    assert shown["entry"]["command"] == result["entry"]["command"]

    text = run_cli("schedule", "status", env=env)
    assert "installed with systemd: every 12h at 01:00, 13:00" in text.stdout

    removed = run_cli("schedule", "remove", "--json", env=env)
    assert json.loads(removed.stdout)["removed"] == [
        str(timer.with_suffix(".service")),
        str(timer),
    ]
    after = json.loads(run_cli("schedule", "status", "--json", env=env).stdout)
    assert after["installed"] is False


def test_unusable_scheduler_is_one_line_and_exit_2(app_state: AppState) -> None:
    env = app_state.env(BACKUP_SCHEDULER="launchd")
    done = run_cli("schedule", "install", env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: BACKUP_SCHEDULER=launchd: only on macOS (launchctl is not available here)"
    ]
    as_json = run_cli("schedule", "install", "--json", env=env)
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["exit_code"] == 2


def test_bad_input_is_one_line_and_exit_2(app_state: AppState) -> None:
    cases = [
        (("schedule", "install", "--every", "fortnightly"), {}, "--every 'fortnightly'"),
        (("schedule", "install", "--at", "25:00"), {}, "--at '25:00'"),
        (("schedule", "status"), {"BACKUP_SCHEDULER": "anacron"}, "BACKUP_SCHEDULER"),
    ]
    for args, extra, expected in cases:
        done = run_cli(*args, env=app_state.env(**extra))
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], lines
        as_json = run_cli(*args, "--json", env=app_state.env(**extra))
        assert as_json.returncode == 2
        assert json.loads(as_json.stdout)["exit_code"] == 2


def test_schtasks_line_is_shown_by_dry_run(app_state: AppState) -> None:
    # schtasks caps its command at 261 characters: a data root under pytest's (per-worker)
    # temp folders is too deep for it, so this one lives in a short temp folder.
    with tempfile.TemporaryDirectory(prefix="st") as short:
        done = run_cli(
            "schedule",
            "install",
            "--dry-run",
            "--every",
            "weekly",
            "--at",
            "23:30",
            env=app_state.env(BACKUP_SCHEDULER="schtasks", BACKUP_DATA_DIR=short),
        )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("would run: schtasks"))
    assert "/SC WEEKLY /D MON /ST 23:30" in line
    assert "create-backup --data-dir" in line


def test_launchd_dry_run_plist_names_the_scheduled_command(app_state: AppState) -> None:
    done = run_cli(
        "schedule", "install", "--dry-run", "--json", env=app_state.env(BACKUP_SCHEDULER="launchd")
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    plist = plistlib.loads(result["artifacts"][0]["content"].encode())
    assert plist["ProgramArguments"] == result["entry"]["command"]
    assert plist["ProgramArguments"][-4:] == [
        "create-backup",
        "--data-dir",
        str(app_state.data_dir),
        "--json",
    ]


def test_install_warns_about_settings_only_this_shell_has(
    app_state: AppState, tmp_path: Path
) -> None:
    env, _ = systemd_env(app_state, tmp_path)
    env["BACKUP_KEEP_LAST"] = "4"
    done = run_cli("schedule", "install", "--json", env=env)
    warnings = json.loads(done.stdout)["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("BACKUP_KEEP_LAST set in this shell")
