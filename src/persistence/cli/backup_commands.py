"""create-backup, list-backups, prune-backups and sample-data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from persistence import service
from persistence.cli.app import app, guarded
from persistence.cli.common import (
    BackupDirOption,
    DataDirOption,
    DebugOption,
    JsonOption,
    QdrantUrlOption,
    emit_json,
    finish,
    out_console,
    progress_for,
    settings_from,
)
from persistence.cli.listing import print_listings
from persistence.cli.remote_commands import (
    RemoteOption,
    list_remote,
    print_push,
    print_remote_prune,
)
from persistence.core.display import human_bytes
from persistence.core.errors import ConfigError
from persistence.core.limits import MAX_DAYS

if TYPE_CHECKING:
    from persistence.core.results import CreateResult, PruneResult

KeepHourly = Annotated[
    int | None, typer.Option("--keep-hourly", min=0, metavar="N", help="Newest of each of N hours.")
]
KeepDaily = Annotated[
    int | None, typer.Option("--keep-daily", min=0, metavar="N", help="Newest of each of N days.")
]
KeepWeekly = Annotated[
    int | None,
    typer.Option("--keep-weekly", min=0, metavar="N", help="Newest of each of N ISO weeks."),
]
KeepMonthly = Annotated[
    int | None,
    typer.Option("--keep-monthly", min=0, metavar="N", help="Newest of each of N months."),
]
KeepYearly = Annotated[
    int | None, typer.Option("--keep-yearly", min=0, metavar="N", help="Newest of each of N years.")
]


@app.command("create-backup")
def create_backup(
    json_output: JsonOption = False,
    keep_last: Annotated[
        int | None,
        typer.Option("--keep-last", min=1, metavar="N", help="Keep the last N (BACKUP_KEEP_LAST)."),
    ] = None,
    no_prune: Annotated[bool, typer.Option("--no-prune", help="Skip retention this run.")] = False,
    no_qdrant: Annotated[bool, typer.Option("--no-qdrant", help="Skip Qdrant this run.")] = False,
    push: Annotated[
        bool,
        typer.Option(
            "--push", help="Push the new backup to the remote (BACKUP_PUSH_AFTER_CREATE)."
        ),
    ] = False,
    remote: RemoteOption = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Copy every file, link nothing (BACKUP_INCREMENTAL=false)."),
    ] = False,
    rehash: Annotated[
        bool,
        typer.Option("--rehash", help="Read every file; link only when its sha256 matches."),
    ] = False,
    qdrant_url: QdrantUrlOption = None,
    collection: Annotated[
        list[str] | None,
        typer.Option(
            "--collection",
            metavar="NAME",
            help="Collection to back up (repeatable; QDRANT_COLLECTIONS).",
        ),
    ] = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Back up every component into a new backup_<timestamp> folder, then apply retention."""

    def run() -> int:
        settings = settings_from(
            data_dir=data_dir,
            backup_dir=backup_dir,
            keep_last=keep_last,
            qdrant_url=qdrant_url,
            qdrant_collections=",".join(collection) if collection else None,
            remote=remote,
        )
        with progress_for(json_output) as progress:
            result = service.create_backup(
                settings,
                push=push,
                progress=progress,
                prune=not no_prune,
                skip_qdrant=no_qdrant,
                full=full,
                rehash=rehash,
            )
        return finish(result, json_output, _print_create)

    guarded(debug, run, json_output)


def _print_create(result: CreateResult) -> None:
    for item in result.components:
        # The run's error line follows; the same text twice would read as two failures.
        shown_below = item.error is not None and item.error == result.error
        detail = "(see the error below)" if shown_below else item.error or item.method or ""
        size = f"{item.file_count} files, {human_bytes(item.bytes)}" if item.file_count else ""
        out_console.print(f"  {item.name:<13} {item.status:<9} {size:<24} {detail}")
    for warning in result.warnings:
        out_console.print(f"[yellow]warning:[/] {escape(warning)}")
    if result.ok:
        total = sum(c.bytes for c in result.components)
        out_console.print(
            f"[green]backup {result.backup_id} complete[/]: {human_bytes(total)} "
            f"in {result.duration_seconds:.1f}s at {result.path}"
        )
    if result.prune is not None:
        _print_prune(result.prune)
    if result.remote is not None:
        print_push(result.remote)


@app.command("list-backups")
def list_backups(
    json_output: JsonOption = False,
    remote: Annotated[
        bool, typer.Option("--remote", help="List the remote's backups (BACKUP_REMOTE).")
    ] = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """List backups newest first, then pre-restore undo copies (--json: oldest first)."""

    def run() -> int:
        if remote:
            return list_remote(json_output, data_dir, backup_dir)
        report = service.listing_report(settings_from(data_dir=data_dir, backup_dir=backup_dir))
        if json_output:
            emit_json(list(report.backups))
            return 0
        if not report.backups:
            out_console.print("no backups yet: run create-backup")
            return 0
        print_listings(report.backups, report.disk_bytes)
        return 0

    guarded(debug, run, json_output)


@app.command("prune-backups")
def prune_backups(
    json_output: JsonOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would go.")] = False,
    remote: Annotated[
        bool,
        typer.Option(
            "--remote",
            help="Prune the remote (BACKUP_REMOTE_KEEP_LAST, BACKUP_REMOTE_RETENTION_DAYS).",
        ),
    ] = False,
    keep_last: Annotated[
        int | None,
        typer.Option(
            "--keep-last", min=1, metavar="N", help="Keep the last N backups (BACKUP_KEEP_LAST)."
        ),
    ] = None,
    keep_within_days: Annotated[
        float | None,
        typer.Option(
            "--keep-within-days",
            min=0.0,
            max=MAX_DAYS,
            metavar="D",
            help="Keep backups newer than D days (BACKUP_RETENTION_DAYS).",
        ),
    ] = None,
    keep_hourly: KeepHourly = None,
    keep_daily: KeepDaily = None,
    keep_weekly: KeepWeekly = None,
    keep_monthly: KeepMonthly = None,
    keep_yearly: KeepYearly = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Apply retention: a backup stays if any rule keeps it."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
        calendar = service.CalendarFlags(
            keep_hourly=keep_hourly,
            keep_daily=keep_daily,
            keep_weekly=keep_weekly,
            keep_monthly=keep_monthly,
            keep_yearly=keep_yearly,
        )
        if remote:
            given = (keep_last, keep_within_days, *calendar.model_dump().values())
            if any(value is not None for value in given):
                raise ConfigError(
                    "with --remote, set BACKUP_REMOTE_KEEP_LAST / BACKUP_REMOTE_RETENTION_DAYS"
                )
            pruned = service.prune_remote_backups(settings, dry_run=dry_run)
            return finish(pruned, json_output, _print_remote_prune)
        result = service.prune_backups(
            settings,
            dry_run=dry_run,
            keep_last=keep_last,
            keep_within_days=keep_within_days,
            calendar=calendar,
        )
        return finish(result, json_output, _print_prune)

    guarded(debug, run, json_output)


def _print_prune(result: PruneResult) -> None:
    verb = "would delete" if result.dry_run else "deleted"
    for backup_id in result.deleted:
        out_console.print(f"  {verb:<12} {backup_id}")
    for backup_id in result.kept:
        out_console.print(
            f"  {'keep':<12} {backup_id}  ({'; '.join(result.keep_rules[backup_id])})"
        )
    for backup_id in result.undo_deleted:
        out_console.print(f"  {verb:<12} {backup_id}  (undo copy)")
    for backup_id in result.undo_kept:
        out_console.print(
            f"  {'keep':<12} {backup_id}  ({'; '.join(result.keep_rules[backup_id])})"
        )
    for item in result.ignored:
        out_console.print(f"  {'ignore':<12} {item.backup_id}  ({item.reason})")


def _print_remote_prune(result: PruneResult) -> None:
    print_remote_prune(result)
    for backup_id in result.kept:
        out_console.print(
            f"  remote {'keep':<12} {backup_id}  ({'; '.join(result.keep_rules[backup_id])})"
        )


@app.command("sample-data")
def sample_data(
    data_dir: DataDirOption = None,
    large_file_mib: Annotated[
        int,
        typer.Option(
            "--large-file-mib", min=1, metavar="MIB", help="Size of the one large upload in MiB."
        ),
    ] = 32,
    debug: DebugOption = False,
) -> None:
    """Create realistic sample app state (SQLite cache, DuckDB analytics, trees) to try the tool."""

    def run() -> int:
        from persistence.backup.sample_state import create_sample_state  # DuckDB: only here

        settings = settings_from(data_dir=data_dir)
        # sample-data may create the data root (that is what it is for), but never use `/`.
        from persistence.core.paths import check_data_root

        check_data_root(settings.resolved().data_dir, must_exist=False)
        summary = create_sample_state(settings.resolved(), large_file_mib=large_file_mib)
        out_console.print(f"sample app state written under {Path(settings.resolved().data_dir)}")
        out_console.print(summary.describe())
        return 0

    guarded(debug, run)
