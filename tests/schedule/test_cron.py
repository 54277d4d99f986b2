"""The crontab path against Debian's real `crontab` binary with a temporary spool."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from persistence.schedule import (
    Schedule,
    SchedulerEnvironment,
    SchedulerKind,
    build_job,
    install_schedule,
    remove_schedule,
    schedule_status,
)
from tests.conftest import AppState
from tests.schedule.conftest import REAL_SPOOL, CrontabSpool

OTHER_LINES = [
    "MAILTO=ops@example.org",
    "# the user's own job, with a percent sign that must stay escaped",
    "15 2 * * * /usr/bin/find /tmp -name 'x\\%y' -delete",
    "",
    "@reboot /bin/true",
]


def environment(spool: CrontabSpool) -> SchedulerEnvironment:
    return SchedulerEnvironment.current(SchedulerKind.CRON, crontab_command=str(spool.command))


def ours(lines: list[str], entry_name: str) -> list[str]:
    return [line for line in lines if f"# app-backup:{entry_name} " in line]


def test_install_twice_is_one_entry_and_other_lines_stay(
    app_state: AppState, crontab_spool: CrontabSpool
) -> None:
    real_before = sorted(p.name for p in REAL_SPOOL.iterdir())
    assert crontab_spool.run("-", stdin="\n".join(OTHER_LINES) + "\n").returncode == 0
    before = crontab_spool.lines()
    job = build_job(app_state.data_dir, Schedule.parse("12h", "05:45"))

    assert install_schedule(job, environment(crontab_spool)).ok
    assert install_schedule(job, environment(crontab_spool)).ok
    after = crontab_spool.lines()
    entry = ours(after, job.entry_name)
    assert len(entry) == 1
    assert entry[0].startswith("45 5,17 * * * cd ")
    assert str(app_state.data_dir) in entry[0]  # the marker names the data root
    assert [line for line in after if line not in entry] == before
    # The spool file is the real crontab's own, in the temporary folder only.
    assert (crontab_spool.spool / "root").is_file() or any(crontab_spool.spool.iterdir())
    assert sorted(p.name for p in REAL_SPOOL.iterdir()) == real_before

    status = schedule_status(app_state.data_dir, app_state.backup_dir, environment(crontab_spool))
    assert status.installed
    assert status.entry is not None
    assert status.entry.schedule == "every 12h at 05:45, 17:45"
    assert status.entry.command == list(job.argv)

    removed = remove_schedule(app_state.data_dir, environment(crontab_spool))
    assert removed.ok and removed.removed == entry
    assert crontab_spool.lines() == before
    gone = schedule_status(app_state.data_dir, app_state.backup_dir, environment(crontab_spool))
    assert gone.ok and not gone.installed


def test_two_data_roots_two_lines_and_a_replaced_schedule(
    app_state: AppState, crontab_spool: CrontabSpool, tmp_path: Path
) -> None:
    first = build_job(app_state.data_dir, Schedule.parse("daily", "01:00"))
    other = build_job(tmp_path / "other", Schedule.parse("hourly", "00:20"))
    assert install_schedule(first, environment(crontab_spool)).ok
    assert install_schedule(other, environment(crontab_spool)).ok
    replaced = build_job(app_state.data_dir, Schedule.parse("weekly", "06:00"))
    assert install_schedule(replaced, environment(crontab_spool)).ok
    lines = crontab_spool.lines()
    assert len(lines) == 2
    assert ours(lines, first.entry_name)[0].startswith("0 6 * * 1 ")
    assert ours(lines, other.entry_name)[0].startswith("20 * * * * ")


def test_no_crontab_yet_installs_and_removes_to_empty(
    app_state: AppState, crontab_spool: CrontabSpool
) -> None:
    assert crontab_spool.run("-l").returncode != 0  # "no crontab for root"
    job = build_job(app_state.data_dir, Schedule())
    assert install_schedule(job, environment(crontab_spool)).ok
    assert len(crontab_spool.lines()) == 1
    assert remove_schedule(app_state.data_dir, environment(crontab_spool)).removed
    assert crontab_spool.lines() == []


def test_the_command_in_the_crontab_line_makes_a_backup(
    tmp_path: Path, crontab_spool: CrontabSpool
) -> None:
    """The line's command exactly as cron runs it (`sh -c`, `\\%` unescaped): a backup."""
    from persistence.backup.sample_state import create_sample_state
    from persistence.core.settings import load_settings

    data_dir = tmp_path / "data 100% 'quoted'"
    create_sample_state(load_settings(data_dir=data_dir).resolved(), large_file_mib=1)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("BACKUP_INCLUDE_LOGS=true\n")
    job = build_job(data_dir, Schedule(), working_dir=project)
    assert install_schedule(job, environment(crontab_spool)).ok
    line = ours(crontab_spool.lines(), job.entry_name)[0]

    command = line.split(None, 5)[5].replace("\\%", "%")
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
    ran = subprocess.run(
        ["/bin/sh", "-c", command],
        cwd="/",
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == ""  # the JSON result goes to the run log, not to cron's mail
    backups = sorted((data_dir / "backups").glob("backup_*"))
    assert len(backups) == 1
    runs = json.loads((data_dir / "backups" / "runs.json").read_text())["runs"]
    assert runs[-1]["ok"] is True and runs[-1]["backup_id"] == backups[0].name
    manifest = json.loads((backups[0] / "manifest.json").read_text())
    statuses = {c["name"]: c["status"] for c in manifest["components"]}
    assert statuses["logs"] == "captured"  # BACKUP_INCLUDE_LOGS came from the project's .env
