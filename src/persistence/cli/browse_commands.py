"""ls-backup and diff-backups: look into backups without changing anything."""

from __future__ import annotations

from typing import Annotated

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
    finish,
    out_console,
    settings_from,
)
from persistence.core.display import human_bytes, local_time

HASH_SHOWN = 12


@app.command("ls-backup")
def ls_backup(
    backup_id: Annotated[
        str | None,
        typer.Argument(metavar="ID", help="Backup id (see list-backups).", show_default=False),
    ] = None,
    path: Annotated[
        str | None,
        typer.Argument(
            metavar="PATH",
            help="Only entries at or under this path, as COMPONENT/PATH, e.g. storage/notes.",
            show_default=False,
        ),
    ] = None,
    latest: Annotated[bool, typer.Option("--latest", help="The newest backup.")] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """List a backup's files (size, mtime, sha256), its components and Qdrant collections."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir)
        wanted_id, wanted_path = backup_id, path
        if latest and backup_id is not None and path is None:
            # With --latest the one positional argument is the path.
            wanted_id, wanted_path = None, backup_id
        result = service.ls_backup(settings, wanted_id, latest=latest, path=wanted_path)
        return finish(result, json_output, _print_contents)

    guarded(debug, run, json_output)


def _shown(name: str) -> str:
    """A file name for the terminal: markup escaped, and a character that is not printable (a
    newline, a tab, a direction override) written as its escape, so no name forges a line."""
    visible = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    return escape(visible)


def _print_contents(result: service.BackupContents) -> None:
    if not result.ok:
        return
    out_console.print(
        f"[bold]{result.backup_id}[/]  created {local_time(result.created_at)}"
        + (f"  (under {escape(result.path_filter)})" if result.path_filter else "")
    )
    for item in result.components:
        size = f"{item.file_count} files, {human_bytes(item.bytes)}" if item.file_count else ""
        out_console.print(f"  {item.name:<13} {item.status:<9} {size}")
    for entry in result.files:
        if entry.kind == "dir":
            continue
        digest = (entry.sha256 or "")[:HASH_SHOWN] or "-"
        target = f" -> {_shown(entry.link_target)}" if entry.link_target else ""
        out_console.print(
            f"{human_bytes(entry.size):>10}  {local_time(entry.mtime)}  {digest:<{HASH_SHOWN}}  "
            f"{escape(entry.component)}/{_shown(entry.path)}{target}"
        )
    for collection in result.collections:
        points = "?" if collection.points_count is None else str(collection.points_count)
        out_console.print(
            f"  collection {escape(collection.name)}: {points} points, "
            f"snapshot {human_bytes(collection.size)}"
        )


@app.command("diff-backups")
def diff_backups(
    old_id: Annotated[
        str, typer.Argument(metavar="ID1", help="The older backup id.", show_default=False)
    ],
    new_id: Annotated[
        str,
        typer.Argument(
            metavar="ID2",
            help="The newer backup id, or 'live' for the data root now.",
            show_default=False,
        ),
    ],
    json_output: JsonOption = False,
    qdrant_url: QdrantUrlOption = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Show files added, removed and changed, tables whose row counts differ, and collections."""

    def run() -> int:
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir, qdrant_url=qdrant_url)
        result = service.diff_backups(settings, old_id, new_id)
        return finish(result, json_output, _print_diff)

    guarded(debug, run, json_output)


def _print_diff(result: service.BackupDiff) -> None:
    if not result.ok:
        return
    out_console.print(f"[bold]{result.old_id}[/] -> [bold]{result.new_id}[/]")
    for comp in result.components:
        for note in comp.notes:
            out_console.print(f"  {comp.name}: [dim]{escape(note)}[/]")
        if not comp.differs:
            continue
        out_console.print(
            f"  [bold]{comp.name}[/]: {comp.old_status} -> {comp.new_status}, "
            f"{human_bytes(comp.old_bytes)} -> {human_bytes(comp.new_bytes)}"
        )
        for item in comp.added:
            out_console.print(f"    [green]+[/] {_shown(item.path)} ({human_bytes(item.new_size)})")
        for item in comp.removed:
            out_console.print(f"    [red]-[/] {_shown(item.path)} ({human_bytes(item.old_size)})")
        for item in comp.changed:
            out_console.print(
                f"    [yellow]~[/] {_shown(item.path)} "
                f"({human_bytes(item.old_size)} -> {human_bytes(item.new_size)})"
            )
        for table in comp.tables:
            out_console.print(
                f"    table {escape(table.table)}: {_count(table.old_rows)} -> "
                f"{_count(table.new_rows)} rows"
            )
        for col in comp.collections:
            config = ", vectors config changed" if col.config_changed else ""
            out_console.print(
                f"    collection {escape(col.name)} {col.change.value}: "
                f"{_count(col.old_points)} -> {_count(col.new_points)} points{config}"
            )
    if result.identical:
        out_console.print("no differences")


def _count(value: int | None) -> str:
    return "none" if value is None else str(value)
