"""create-backup, list-backups, prune-backups and sample-data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from persistence import service
from persistence.backup.sample_state import create_sample_state
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
from persistence.cli.remote_commands import (
    RemoteOption,
    list_remote,
    print_push,
    print_remote_prune,
)
from persistence.core.display import human_bytes
from persistence.core.errors import ConfigError
from persistence.core.results import CreateResult, PruneResult
from persistence.core.settings import MAX_DAYS


@app.command("create-backup")
def create_backup(
    json_output: JsonOption = False,
    keep_last: Annotated[
        int | None, typer.Option("--keep-last", min=1, help="Keep the last N (BACKUP_KEEP_LAST).")
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
    qdrant_url: QdrantUrlOption = None,
    collection: Annotated[
        list[str] | None,
        typer.Option(
            "--collection", help="Collection to back up (repeatable; QDRANT_COLLECTIONS)."
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
                settings, push=push, progress=progress, prune=not no_prune, skip_qdrant=no_qdrant
            )
        return finish(result, json_output, _print_create)

    guarded(debug, run, json_output=json_output)


def _print_create(result: CreateResult) -> None:
    for item in result.components:
        detail = item.error or item.method or ""
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
    """List backups, oldest first."""

    def run() -> int:
        if remote:
            return list_remote(json_output, data_dir, backup_dir)
        listings = service.list_backups(settings_from(data_dir=data_dir, backup_dir=backup_dir))
        if json_output:
            emit_json(list(listings))
            return 0
        if not listings:
            out_console.print("no backups yet: run create-backup")
            return 0
        table = Table()
        for title in ("created (UTC)", "size", "verified", "backup id", "components"):
            table.add_column(title, no_wrap=title != "components")
        for item in listings:
            created = f"{item.created_at:%Y-%m-%d %H:%M:%S}" if item.created_at else "-"
            captured = ", ".join(k for k, v in item.components.items() if v == "captured")
            verified = f"{item.verified_at:%Y-%m-%d %H:%M}" if item.verified_at else ""
            if not item.valid:
                captured = f"[red]broken: {item.problem}[/]"
            table.add_row(created, human_bytes(item.size_bytes), verified, item.backup_id, captured)
        out_console.print(table)
        return 0

    guarded(debug, run, json_output=json_output)


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
    keep_last: Annotated[int | None, typer.Option("--keep-last", min=1)] = None,
    keep_within_days: Annotated[
        float | None,
        typer.Option(
            "--keep-within-days", min=0.0, max=MAX_DAYS, help="Keep backups newer than D days."
        ),
    ] = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Apply retention: a backup stays if any rule keeps it."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
        if remote:
            if keep_last is not None or keep_within_days is not None:
                raise ConfigError(
                    "with --remote, set BACKUP_REMOTE_KEEP_LAST / BACKUP_REMOTE_RETENTION_DAYS"
                )
            pruned = service.prune_remote_backups(settings, dry_run=dry_run)
            return finish(pruned, json_output, _print_remote_prune)
        result = service.prune_backups(
            settings, dry_run=dry_run, keep_last=keep_last, keep_within_days=keep_within_days
        )
        return finish(result, json_output, _print_prune)

    guarded(debug, run, json_output=json_output)


def _print_prune(result: PruneResult) -> None:
    verb = "would delete" if result.dry_run else "deleted"
    for backup_id in result.deleted:
        out_console.print(f"  {verb:<12} {backup_id}")
    for backup_id in result.kept:
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
    large_file_mib: Annotated[int, typer.Option("--large-file-mib", min=1)] = 32,
    debug: DebugOption = False,
) -> None:
    """Create realistic sample app state (SQLite cache, DuckDB analytics, trees) to try the tool."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir)
        summary = create_sample_state(settings.resolved(), large_file_mib=large_file_mib)
        out_console.print(f"sample app state written under {Path(settings.resolved().data_dir)}")
        out_console.print(summary.describe())
        return 0

    guarded(debug, run)
