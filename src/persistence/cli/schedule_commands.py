"""`schedule install|status|remove` and `status`: scheduling and the health of the backups."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from persistence import service
from persistence.cli import output
from persistence.cli.app import app, guarded
from persistence.cli.common import (
    BackupDirOption,
    DataDirOption,
    DebugOption,
    JsonOption,
    finish,
    out_console,
    settings_from,
)
from persistence.core.display import human_age, human_bytes, human_time

if TYPE_CHECKING:
    from persistence.service import (
        HealthStatus,
        RunRecord,
        ScheduleResult,
        ScheduleStatus,
    )

schedule_app = typer.Typer(
    help="Run create-backup by itself with the system's scheduler (systemd, cron, launchd, "
    "Task Scheduler).",
    no_args_is_help=True,
)
app.add_typer(schedule_app, name="schedule")

# Keyed by BackupState's values (a StrEnum), so that loading this module loads no model.
_STATE_STYLE = {"ok": "green", "late": "bold yellow", "failing": "bold red", "never": "bold red"}


@schedule_app.command("install")
def schedule_install(
    every: Annotated[
        str, typer.Option("--every", help="daily, hourly, 6h, 12h or weekly (Mondays).")
    ] = "daily",
    at: Annotated[
        str | None, typer.Option("--at", help="Time of day HH:MM (default 03:00).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be written and run; change nothing.")
    ] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Register create-backup for this data root; a second install replaces the first."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
        result = service.schedule_install(settings, every=every, at=at, dry_run=dry_run)
        return finish(result, json_output, _print_change)

    guarded(debug, run, json_output=json_output)


@schedule_app.command("status")
def schedule_status(
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Installed or not, with which scheduler, the schedule, the next and the last run."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
        return finish(service.schedule_status(settings), json_output, _print_schedule)

    guarded(debug, run, json_output=json_output)


@schedule_app.command("remove")
def schedule_remove(
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Remove exactly what install made for this data root."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
        return finish(service.schedule_remove(settings), json_output, _print_change)

    guarded(debug, run, json_output=json_output)


@app.command("status")
def status(
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """ok, late, failing or never: exit 0 only for ok (for Nagios-style checks)."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
        health = service.backup_health(settings)
        # Not `finish`: late/failing/never is the answer asked for, not an error of `status`.
        if json_output:
            output.stdout.write(health.model_dump_json(indent=2) + "\n")
        else:
            _print_health(health)
        return health.exit_code

    guarded(debug, run, json_output=json_output)


def _print_health(health: HealthStatus) -> None:
    style = _STATE_STYLE[health.state]
    out_console.print(f"[{style}]{health.state.value}[/]: {escape(health.reason)}")
    newest = health.newest_backup
    if newest is not None:
        out_console.print(
            f"  newest backup  {newest.backup_id} ({human_bytes(newest.size_bytes)}, "
            f"{human_age(newest.created_at)})"
        )
    out_console.print(f"  last run       {_run_text(health.last_run)}")
    if health.remote is not None and health.remote.error is not None:
        out_console.print(f"  [yellow]remote unreadable[/]  {escape(health.remote.error)}")


def _run_text(record: RunRecord | None) -> str:
    if record is None:
        return "none recorded"
    outcome = "ok" if record.ok else f"failed: {escape(record.error or '')}"
    return f"{human_time(record.finished_at)} {outcome}"


def _print_schedule(status: ScheduleStatus) -> None:
    where = status.scheduler.value if status.scheduler else "no scheduler"
    entry = status.entry
    if entry is None:
        out_console.print(f"not installed ({where}); run `schedule install`")
    else:
        out_console.print(f"[green]installed[/] with {where}: {entry.schedule or 'unknown'}")
        out_console.print(f"  entry          {entry.entry_name}")
        out_console.print(f"  next run       {human_time(entry.next_run)}")
        out_console.print(f"  runs           {escape(' '.join(entry.command))}")
    out_console.print(f"  last run       {_run_text(status.last_run)}")


def _print_change(result: ScheduleResult) -> None:
    if not result.ok:
        return
    where = result.scheduler.value if result.scheduler else ""
    if result.action == "remove":
        if not result.removed:
            out_console.print(f"nothing to remove ({where})")
        for item in result.removed:
            out_console.print(f"removed ({where}): {escape(item)}")
        return
    for artifact in result.artifacts if result.dry_run else []:
        out_console.print(f"[bold]{escape(artifact.path)}[/]")
        out_console.print(escape(artifact.content.rstrip("\n")))
    for command in result.scheduler_commands if result.dry_run else []:
        out_console.print(f"would run: {escape(shlex.join(command))}")
    if result.entry is not None and not result.dry_run:
        out_console.print(
            f"[green]installed[/] with {where}: {result.entry.schedule} "
            f"(next run {human_time(result.entry.next_run)})"
        )
    for warning in result.warnings:
        out_console.print(f"[yellow]warning:[/] {escape(warning)}")
