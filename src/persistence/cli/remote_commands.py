"""push-backup and pull-backup, and how remote results are printed by every command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from persistence import service
from persistence.cli.app import app, guarded
from persistence.cli.common import (
    BackupDirOption,
    DataDirOption,
    DebugOption,
    JsonOption,
    emit_json,
    finish,
    out_console,
    progress_for,
    settings_from,
)
from persistence.core.display import human_bytes
from persistence.core.errors import ConfigError

if TYPE_CHECKING:
    from persistence.core.results import PruneResult, RemotePush

RemoteOption = Annotated[
    str | None,
    typer.Option(
        "--remote",
        help="gs://BUCKET[/PREFIX], s3://BUCKET[/PREFIX], /path or file:///path (BACKUP_REMOTE).",
        show_default=False,
    ),
]
BackupIdArgument = Annotated[str | None, typer.Argument(help="backup_<ts>.", show_default=False)]
LatestOption = Annotated[bool, typer.Option("--latest", help="The newest complete backup.")]


def _one_of(backup_id: str | None, latest: bool, every: bool = False) -> None:
    if sum((backup_id is not None, latest, every)) > 1:
        raise ConfigError("name at most one of an ID, --latest or --all")


@app.command("push-backup")
def push_backup_command(
    backup_id: BackupIdArgument = None,
    latest: LatestOption = False,
    every: Annotated[
        bool, typer.Option("--all", help="Every complete backup not yet complete on the remote.")
    ] = False,
    remote: RemoteOption = None,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Upload complete backups to the remote (default --latest); resumes where a push stopped."""

    def run() -> int:
        _one_of(backup_id, latest, every)
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir, remote=remote)
        with progress_for(json_output) as progress:
            result = service.push_backup(settings, backup_id, every=every, progress=progress)
        return finish(result, json_output, lambda r: print_push(r.summary()))

    guarded(debug, run, json_output)


def print_push(push: RemotePush) -> None:
    if push.pushed:
        names = ", ".join(push.backup_ids) or "nothing new"
        out_console.print(
            f"[green]pushed {names}[/] to {escape(push.remote or '')}: {push.objects_sent} objects "
            f"sent ({human_bytes(push.bytes_sent)}), {push.objects_skipped} already there"
        )
    if push.prune is not None:
        print_remote_prune(push.prune)


def print_remote_prune(result: PruneResult) -> None:
    verb = "would delete" if result.dry_run else "deleted"
    for backup_id in result.deleted:
        out_console.print(f"  remote {verb:<12} {backup_id}")
    for item in result.ignored:
        out_console.print(f"  remote {'ignore':<12} {item.backup_id}  ({escape(item.reason)})")


@app.command("pull-backup")
def pull_backup_command(
    backup_id: BackupIdArgument = None,
    latest: LatestOption = False,
    remote: RemoteOption = None,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Download a remote backup into the backup root (staged, every hash checked)."""

    def run() -> int:
        if (backup_id is None) == (not latest):
            raise ConfigError("name exactly one of an ID or --latest")
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir, remote=remote)
        with progress_for(json_output) as progress:
            result = service.pull_backup(settings, backup_id, progress=progress)
        return finish(result, json_output, _print_pull)

    guarded(debug, run, json_output)


def _print_pull(result: service.PullRunResult) -> None:
    if result.ok and result.backup_id is None:
        out_console.print(escape(result.message))
    elif result.ok and not result.pulled:
        out_console.print(f"{result.backup_id} is already here: {escape(result.path or '')}")
    elif result.ok:
        out_console.print(
            f"[green]pulled {result.backup_id}[/]: {result.objects_received} objects, "
            f"{human_bytes(result.bytes_received)}, every sha256 checked, at {result.path}"
        )


def list_remote(
    json_output: JsonOption, data_dir: DataDirOption, backup_dir: BackupDirOption
) -> int:
    """list-backups --remote (registered by list-backups)."""
    listings = service.list_remote_backups(settings_from(data_dir=data_dir, backup_dir=backup_dir))
    if json_output:
        emit_json(list(listings))
        return 0
    if not listings:
        out_console.print("no backups on the remote yet: run push-backup")
        return 0
    table = Table()
    for title in ("created (UTC)", "size", "backup id", "state"):
        table.add_column(title, no_wrap=title != "state")
    for item in listings:
        created = f"{item.created_at:%Y-%m-%d %H:%M:%S}" if item.created_at else "-"
        state = "complete" if item.valid else f"[red]incomplete: {escape(item.problem or '')}[/]"
        table.add_row(created, human_bytes(item.size_bytes), item.backup_id, state)
    out_console.print(table)
    return 0


def verify_remote(
    backup_id: str | None,
    deep: bool,
    json_output: bool,
    data_dir: Path | None,
    backup_dir: Path | None,
) -> int:
    """verify-backup --remote (registered by verify-backup)."""
    settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
    with progress_for(json_output) as progress:
        result = service.verify_remote_backup(settings, backup_id, deep=deep, progress=progress)

    def render(report: service.RemoteVerifyResult) -> None:
        for failed in report.failed_objects:
            out_console.print(f"  [red]FAIL[/] {escape(failed.key)}: {escape(failed.problem)}")
        if report.ok:
            how = "downloaded and re-hashed" if report.deep else "sizes and stored checksums"
            out_console.print(
                f"[green]{report.backup_id} on {escape(report.remote or '')}: verification "
                f"passed[/] ({report.objects_checked} objects, {how})"
            )

    return finish(result, json_output, render)
