"""The entry point loads only the command asked for, and still reaches every command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from persistence.cli.main import COMMAND_MODULES, full_app
from tests.support.cli import BACKUP_SCRIPT


def _defining_module(name: str) -> str:
    app = full_app()
    for command in app.registered_commands:
        if command.name == name and command.callback is not None:
            return command.callback.__module__
    for group in app.registered_groups:
        if group.name == name and isinstance(group.typer_instance, typer.Typer):
            first = group.typer_instance.registered_commands[0].callback
            assert first is not None
            return first.__module__
    raise AssertionError(f"{name} is not registered")


def test_the_command_table_names_every_command_and_the_module_that_registers_it() -> None:
    app = full_app()
    registered = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert registered == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        assert _defining_module(name) == f"persistence.cli.{module}", name


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_every_command_is_reached_through_the_lazy_entry_point(name: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BACKUP_SCRIPT), name, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f" {name} [OPTIONS]" in done.stdout


def test_root_help_still_lists_every_command_in_help_order() -> None:
    done = subprocess.run(
        [sys.executable, str(BACKUP_SCRIPT), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = [
        line.split()[0]
        for line in done.stdout.split("Commands:", 1)[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    assert listed == list(COMMAND_MODULES)


def test_the_script_collects_garbage_again_once_the_cli_is_loaded() -> None:
    """Collection is paused only while the CLI's modules load (scripts/backup.py): a create
    that runs for hours must still collect, and what loaded is frozen out of its passes."""
    probe = (
        "import gc, runpy, sys\n"
        f"runpy.run_path({str(BACKUP_SCRIPT)!r}, run_name='loaded only')\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    enabled, frozen = done.stdout.split()
    assert enabled == "True"
    assert int(frozen) > 10_000
