"""verify-backup: check one backup, the newest, or all of them (`--deep`, `--drill`)."""

from __future__ import annotations

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
    error_line,
    one_of,
    out_console,
    progress_for,
    settings_from,
)
from persistence.cli.remote_commands import verify_remote
from persistence.core.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from persistence.service import VerifyReport


@app.command("verify-backup")
def verify_backup_command(
    backup_id: BackupIdArgument = None,
    latest: LatestOption = False,
    every: Annotated[
        bool, typer.Option("--all", help="Every backup and pre-restore copy.")
    ] = False,
    deep: Annotated[
        bool, typer.Option("--deep", help="Count each snapshot's points with the Qdrant engine.")
    ] = False,
    drill: Annotated[
        bool, typer.Option("--drill", help="Restore each snapshot into a scratch collection.")
    ] = False,
    remote: Annotated[
        bool,
        typer.Option(
            "--remote", help="Check the copy on the remote (--deep: download and re-hash)."
        ),
    ] = False,
    json_output: JsonOption = False,
    qdrant_url: QdrantUrlOption = None,
    data_dir: DataDirOption = None,
    backup_dir: BackupDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Check a backup end to end; exit 0 only when everything passes (4 when it fails)."""

    def run() -> int:
        one_of(backup_id, latest, every, offer_all=True)
        if remote:
            if every or drill:
                raise ConfigError("--remote takes an ID or --latest, not --all or --drill")
            return verify_remote(backup_id, deep, json_output, data_dir, backup_dir)
        settings = settings_from(data_dir=data_dir, backup_dir=backup_dir, qdrant_url=qdrant_url)
        with progress_for(json_output) as progress:
            if every:
                reports = service.verify_all(settings, deep=deep, drill=drill, progress=progress)
            else:
                one = service.verify_backup(
                    settings, backup_id, latest=latest, deep=deep, drill=drill, progress=progress
                )
                reports = [one]
        if json_output:
            emit_json(list(reports) if every else reports[0])
            for report in reports:
                if not report.ok:
                    error_line(f"{report.backup_id or '-'}: {_with_hint(report)}")
        else:
            for report in reports:
                _print_verify(report)
        codes = [r.exit_code for r in reports if not r.ok]
        other = [c for c in codes if c != ExitCode.VERIFY_FAILED]
        return other[0] if other else (int(ExitCode.VERIFY_FAILED) if codes else 0)

    guarded(debug, run, json_output)


def _first_problem(report: VerifyReport) -> str:
    from persistence.verify.run import first_problem  # loaded with verify, not at start-up

    return first_problem(report)


def _print_verify(report: VerifyReport) -> None:
    name = report.backup_id or "-"
    for verdict in report.components:
        mark = "[green]ok[/]  " if verdict.ok else "[red]FAIL[/]"
        out_console.print(
            f"  {verdict.name:<13} {mark} {verdict.status:<9} {verdict.files_checked} files"
        )
        for problem in verdict.problems:
            out_console.print(f"      [red]{escape(problem)}[/]")
        for note in verdict.notes:
            out_console.print(f"      {escape(note)}")
    for failed in report.failed_files:
        out_console.print(
            f"  failed file: {failed.component}/{escape(failed.path)}: {escape(failed.problem)}"
        )
    if report.ok:
        out_console.print(f"[green]{name}: verification passed[/] ({report.duration_seconds:.1f}s)")
    elif report.exit_code != ExitCode.VERIFY_FAILED:
        error_line(_with_hint(report))  # not a verdict: the check could not run
    else:
        error_line(f"{name}: verification failed: {_first_problem(report)}")


def _with_hint(report: VerifyReport) -> str:
    """A usage error names the other ways to pick backups: --latest, or --all for every one."""
    message = _first_problem(report)
    if report.exit_code == ExitCode.USAGE and "--all" not in message:
        message += " (or verify-backup --latest, or --all for every backup)"
    return message
