"""Commands that never talk to Qdrant or open a database start without loading those stacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from persistence.store.listing_cache import CACHE_NAME
from tests.conftest import AppState
from tests.support.cli import BACKUP_SCRIPT, run_cli

HEAVY = ("qdrant_client", "qdrant_edge", "duckdb", "httpx", "streamlit")


def _stderr_of(interpreter_args: list[str], args: tuple[str, ...], env: dict[str, str]) -> str:
    """What the CLI run as `python INTERPRETER_ARGS backup.py ARGS` wrote on stderr (it must
    succeed)."""
    proc = subprocess.run(
        [sys.executable, *interpreter_args, str(BACKUP_SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


def _imported_modules(args: tuple[str, ...], env: dict[str, str]) -> set[str]:
    """Top-level packages the CLI process imported, read from its own -X importtime log."""
    stderr = _stderr_of(["-X", "importtime"], args, env)
    names: set[str] = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "persistence" in names, "the log must list the tool's own imports"
    return names


@pytest.mark.parametrize(
    "args",
    [("list-backups",), ("list-backups", "--json"), ("--help",), ("prune-backups", "--dry-run")],
)
def test_light_commands_do_not_import_qdrant_or_database_stacks(
    app_state: AppState, args: tuple[str, ...]
) -> None:
    imported = _imported_modules(args, app_state.env())
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_the_log_does_show_them_when_a_command_needs_them(app_state: AppState) -> None:
    """The check above can fail: create-backup copies the DuckDB file, so duckdb is loaded."""
    imported = _imported_modules(("create-backup", "--json", "--no-prune"), app_state.env())
    assert "duckdb" in imported


def test_help_loads_neither_pydantic_nor_the_settings(app_state: AppState) -> None:
    """`--help` is parsing and printing only: no model, no settings, no service module."""
    imported = _imported_modules(("--help",), app_state.env())
    assert "pydantic" not in imported
    assert "typer" in imported  # the log does list what it loaded


def test_a_backup_without_qdrant_does_not_load_the_http_stack(app_state: AppState) -> None:
    env = {k: v for k, v in app_state.env().items() if not k.startswith("QDRANT_")}
    imported = _imported_modules(("create-backup", "--json", "--no-prune"), env)
    assert "httpx" not in imported
    assert "duckdb" in imported


# importlib.import_module (how the entry point loads a command) bypasses -X importtime's log,
# so this test asks the process itself which modules it holds as it exits.
_PRINT_MODULES_AT_EXIT = """
import atexit, runpy, sys
atexit.register(lambda: print(*sorted(sys.modules), sep="\\n", file=sys.stderr))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _modules_held(args: tuple[str, ...], env: dict[str, str]) -> set[str]:
    return set(_stderr_of(["-c", _PRINT_MODULES_AT_EXIT], args, env).splitlines())


def test_list_backups_loads_only_its_own_command_module(app_state: AppState) -> None:
    loaded = _modules_held(("list-backups",), app_state.env())
    assert "persistence.cli.backup_commands" in loaded
    assert not loaded & {
        "persistence.cli.verify_commands",
        "persistence.cli.restore_commands",
        "persistence.cli.browse_commands",
        "persistence.cli.schedule_commands",
    }


def test_a_listing_of_remembered_manifests_loads_no_manifest_model(app_state: AppState) -> None:
    env = app_state.env()
    assert run_cli("create-backup", "--no-prune", env=env).returncode == 0
    assert "persistence.store.manifest" not in _modules_held(("list-backups",), env)
    (app_state.backup_dir / CACHE_NAME).unlink()  # the check can fail: now it must parse
    assert "persistence.store.manifest" in _modules_held(("list-backups",), env)
