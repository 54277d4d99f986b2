"""verify-backup, restore-backup and snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from persistence import service
from persistence.cli.app import app, guarded
from persistence.cli.common import (
    BackupDirOption,
    BackupIdArgument,
    DataDirOption,
    DebugOption,
    JsonOption,
    LatestOption,
    QdrantUrlOption,
    emit_json,
    err_console,
    error_line,
    finish,
    one_of,
    out_console,
    progress_for,
    settings_from,
)
from persistence.cli.remote_commands import RemoteOption
from persistence.cli.restore_files import (
    PathOption,
    QdrantPrefixOption,
    SomeFiles,
    TargetOption,
    restore_some_files,
)
from persistence.core.display import human_bytes, local_time
from persistence.core.errors import ExitCode

if TYPE_CHECKING:
    from persistence.core.progress import ProgressCallback
    from persistence.core.settings import BackupSettings
    from persistence.service import RestorePlan, RestoreResult, SnapshotReport


@app.command("restore-backup")
def restore_backup_command(
    backup_id: BackupIdArgument = None,
    latest: LatestOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the exact plan and change nothing.")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="COMPONENT",
            help="Restore only this component (repeatable or comma list).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Restore even a backup that fails verification.")
    ] = False,
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Only what is missing or empty (container start-up)."),
    ] = False,
    target: TargetOption = None,
    path: PathOption = None,
    qdrant_prefix: QdrantPrefixOption = None,
    from_remote: Annotated[
        bool,
        typer.Option(
            "--from-remote", help="Pull the backup from the remote first (BACKUP_REMOTE)."
        ),
    ] = False,
    remote: RemoteOption = None,
    json_output: JsonOption = False,
    qdrant_url: QdrantUrlOption = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Restore a backup; the current state is first saved as pre-restore_<ts> (the undo)."""

    def run() -> int:
        one_of(backup_id, latest)
        settings = settings_from(
            data_dir=data_dir, backup_dir=backup_dir, qdrant_url=qdrant_url, remote=remote
        )
        if target is not None or path or qdrant_prefix is not None:
            refused = [
                f
                for f, on in (
                    ("--only", only),
                    ("--force", force),
                    ("--if-empty", if_empty),
                    ("--from-remote", from_remote),
                )
                if on
            ]
            some = SomeFiles(target, path or [], qdrant_prefix, dry_run)
            return restore_some_files(settings, backup_id, latest, some, refused, json_output)
        chosen = [p.strip() for item in only or [] for p in item.split(",") if p.strip()] or None
        if from_remote:
            with progress_for(json_output) as progress:
                return _from_remote(
                    settings, backup_id, chosen, dry_run, force, if_empty, json_output, progress
                )
        if dry_run:
            plan = service.plan_restore(
                settings, backup_id, latest=latest, only=chosen, if_empty=if_empty, force=force
            )
            if json_output:
                emit_json(plan)
            else:
                _print_plan(plan)
            if not plan.ok:
                error_line(plan.error or "")
                return plan.exit_code
            return int(ExitCode.FAILED) if plan.problems else 0
        with progress_for(json_output) as progress:
            result = service.restore_backup(
                settings,
                backup_id,
                latest=latest,
                only=chosen,
                force=force,
                if_empty=if_empty,
                progress=progress,
            )
        if json_output and result.forced:
            err_console.print(f"[bold yellow]warning:[/] {escape(result.warnings[0])}")
        return finish(result, json_output, _print_restore)

    guarded(debug, run, json_output)


def _created(plan: RestorePlan) -> str:
    return local_time(datetime.fromisoformat(plan.created_at)) if plan.created_at else "-"


def _from_remote(
    settings: BackupSettings,
    backup_id: str | None,
    only: list[str] | None,
    dry_run: bool,
    force: bool,
    if_empty: bool,
    json_output: bool,
    progress: ProgressCallback,
) -> int:
    if dry_run:
        plan = service.plan_from_remote(
            settings, backup_id, only=only, if_empty=if_empty, progress=progress
        )
        if json_output:
            emit_json(plan)
        else:
            for warning in plan.warnings:
                out_console.print(escape(warning))
            if plan.backup_id is not None:
                _print_plan(plan)
        if not plan.ok:
            error_line(plan.error or "")
            return plan.exit_code
        return int(ExitCode.FAILED) if plan.problems else 0
    result = service.restore_from_remote(
        settings, backup_id, only=only, force=force, if_empty=if_empty, progress=progress
    )
    return finish(result, json_output, _print_restore)


def _print_plan(plan: RestorePlan) -> None:
    if not plan.ok:
        return
    out_console.print(
        f"restore plan for {plan.backup_id} (created {_created(plan)}); nothing is changed"
    )
    for step in plan.components:
        where = f" -> {escape(step.target)}" if step.target else ""
        out_console.print(f"  {step.name:<13} {step.action:<15}{where}  {escape(step.reason)}")
        for label, items in (
            ("write", step.files_written),
            ("replace", step.files_replaced),
            ("remove", step.files_removed),
        ):
            for item in items:
                out_console.print(f"      {label:<8} {escape(item)}")
        if step.changes and step.files_unchanged:
            out_console.print(f"      ({step.files_unchanged} entries already identical)")
        for collection in step.collections:
            out_console.print(
                f"      {collection.action:<8} collection {escape(collection.name)}: "
                f"{collection.points_expected} points expected (now {collection.points_now}), "
                f"{human_bytes(collection.bytes)} to upload"
            )
        if step.changes:
            out_console.print(
                f"      writes {human_bytes(step.bytes_to_write)} "
                f"({human_bytes(step.bytes_changed)} of it new or changed)"
            )
    for space in plan.space:
        mark = "ok" if space.ok else "[red]NOT ENOUGH[/]"
        out_console.print(
            f"  free space at {escape(space.path)} ({space.purpose}): needs "
            f"{human_bytes(space.needed_bytes)}, {human_bytes(space.free_bytes)} free: {mark}"
        )
    for warning in plan.warnings:
        out_console.print(f"[yellow]warning:[/] {escape(warning)}")
    for problem in plan.problems:
        out_console.print(f"[red]a restore would refuse:[/] {escape(problem)}")
    out_console.print("nothing to do" if plan.nothing_to_do else f"undo: {plan.undo}")


def _print_restore(result: RestoreResult) -> None:
    for warning in result.warnings:
        err_console.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    for item in result.components:
        detail = item.error or (
            f"{item.files_written} written, {item.files_removed} removed, "
            f"{human_bytes(item.bytes_written)}"
            + (
                f", collections {', '.join(item.collections_recovered)}"
                if item.collections_recovered
                else ""
            )
        )
        out_console.print(f"  {item.name:<13} {item.action:<15} {escape(detail)}")
        for warning in item.warnings:
            out_console.print(f"      [yellow]warning:[/] {escape(warning)}")
    if result.ok and result.nothing_to_do:
        out_console.print("nothing to restore")
    elif result.ok:
        out_console.print(
            f"[green]restored {result.backup_id}[/] in {result.duration_seconds:.1f}s"
        )
    if result.undo_id:
        out_console.print(f"undo with: restore-backup {result.undo_id}")


@app.command("snapshot")
def snapshot_command(
    json_output: JsonOption = False,
    qdrant_url: QdrantUrlOption = None,
    data_dir: DataDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Snapshot Qdrant only, into QDRANT_SNAPSHOT_DIR (what QDRANT_SNAPSHOT_ON_START runs)."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, qdrant_url=qdrant_url)
        return finish(service.snapshot_now(settings), json_output, _print_snapshot)

    guarded(debug, run, json_output)


def _print_snapshot(report: SnapshotReport) -> None:
    for target in report.targets:
        detail = target.error or f"{target.path} ({human_bytes(target.bytes)})"
        out_console.print(f"  {target.target:<20} {target.status:<10} {escape(detail)}")
