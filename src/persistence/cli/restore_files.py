"""restore-backup --target DIR / --path PATH / --qdrant-prefix P: some files, or elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from persistence import service
from persistence.cli.common import finish, out_console
from persistence.core.display import human_bytes
from persistence.core.errors import ConfigError

if TYPE_CHECKING:
    from persistence.core.settings import BackupSettings

TargetOption = Annotated[
    Path | None,
    typer.Option(
        "--target",
        metavar="DIR",
        help="Restore into this new or empty folder instead (no undo copy; Qdrant skipped).",
        show_default=False,
    ),
]
PathOption = Annotated[
    list[str] | None,
    typer.Option(
        "--path",
        metavar="PATH",
        help="Only files at or under COMPONENT/PATH (repeatable); in place: only missing ones.",
        show_default=False,
    ),
]
QdrantPrefixOption = Annotated[
    str | None,
    typer.Option(
        "--qdrant-prefix",
        metavar="P",
        help="With --target: recover each Qdrant collection as P<name> beside the live ones.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class SomeFiles:
    target: Path | None
    paths: list[str]
    qdrant_prefix: str | None
    dry_run: bool


def restore_some_files(
    settings: BackupSettings,
    backup_id: str | None,
    latest: bool,
    some: SomeFiles,
    refused: list[str],
    json_output: bool,
) -> int:
    if refused:
        raise ConfigError(f"{refused[0]} does not go with --target, --path or --qdrant-prefix")
    if some.qdrant_prefix is not None and some.target is None:
        raise ConfigError("--qdrant-prefix goes with --target")
    result = service.restore_some(
        settings,
        backup_id,
        latest=latest,
        target=some.target,
        paths=some.paths,
        qdrant_prefix=some.qdrant_prefix,
        dry_run=some.dry_run,
    )
    return finish(result, json_output, _print)


def _print(result: service.FileRestoreResult) -> None:
    if not result.ok:
        return
    verb = "would restore" if result.dry_run else "restored"
    where = f"into {result.target}" if result.target else "in place"
    for item in result.written:
        out_console.print(f"  {verb} {escape(item)}")
    for item in result.unchanged:
        out_console.print(f"  unchanged {escape(item)}")
    for item in result.collections:
        out_console.print(
            f"  collection {escape(item.name)} -> {escape(item.restored_as)} "
            f"({item.points_count} points)"
        )
    for warning in result.warnings:
        out_console.print(f"[yellow]warning:[/] {escape(warning)}")
    out_console.print(
        f"{verb} {len(result.written)} files ({human_bytes(result.bytes_written)}) {where} "
        f"from {result.backup_id}"
    )
