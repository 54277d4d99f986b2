"""list-backups for people: newest first, damaged in red, undo copies apart, local times."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from persistence.cli.common import out_console
from persistence.core.display import human_bytes, local_time

if TYPE_CHECKING:
    from persistence import service

# Ids are never shortened: a script or a person copies them from here.
COMPONENTS_MIN_WIDTH = 12
# Keyed by VerifyState's values (a StrEnum), so that loading this module loads no model.
_VERIFY_CELL = {"ok": "[green]ok[/]", "damaged": "[bold red]DAMAGED[/]", "never": "never"}


def print_listings(listings: list[service.BackupListing], on_disk: int) -> None:
    """The tables, then the totals: sizes as recorded, and what the root takes on disk (an
    unchanged file is one inode shared by every backup that holds it)."""
    backups = [item for item in listings if item.kind == "backup"]
    undo = [item for item in listings if item.kind != "backup"]
    if backups:
        out_console.print(_table(backups, "backups"))
    if undo:
        out_console.print(_table(undo, "undo copies (saved by restores; BACKUP_KEEP_UNDO)"))
    out_console.print(
        f"{len(backups)} backups {human_bytes(sum(b.size_bytes for b in backups))}, "
        f"{len(undo)} undo {'copy' if len(undo) == 1 else 'copies'} "
        f"{human_bytes(sum(u.size_bytes for u in undo))}; {human_bytes(on_disk)} on disk"
    )


def _newest_first(item: service.BackupListing) -> str:
    return item.backup_id  # ids are UTC timestamps: they sort by time


def _table(items: list[service.BackupListing], title: str) -> Table:
    width = max(len(item.backup_id) for item in items)
    table = Table(
        title=title,
        title_justify="left",
        box=None,
        header_style="bold underline",
        pad_edge=False,
        padding=(0, 0, 0, 1),
        show_edge=False,
    )
    table.add_column("backup id", no_wrap=True, min_width=width)
    table.add_column("created", min_width=10)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("verify", no_wrap=True)
    table.add_column("components", min_width=COMPONENTS_MIN_WIDTH)
    for item in sorted(items, key=_newest_first, reverse=True):
        captured = ", ".join(k for k, v in item.components.items() if v == "captured")
        if not item.valid:
            captured = f"[red]broken: {escape(item.problem or '')}[/]"
        table.add_row(
            item.backup_id,
            local_time(item.created_at) if item.created_at else "-",
            human_bytes(item.size_bytes),
            _VERIFY_CELL[item.last_verify],
            captured or "nothing captured",
        )
    return table
