"""The CLI for the browse tests: argument lists, and JSON read as plain data."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import cli


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return cli.run_cli(*args, env=env, cwd=cwd)


def run_json(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, Any]:
    return cli.run_json(*args, env=env, cwd=cwd)


@dataclass(frozen=True)
class BackedUpStorage:
    env: dict[str, str]
    storage: Path  # the live storage/ folder
    created: dict[str, Any]  # create-backup's --json result


def back_up_storage(tmp_path: Path, files: dict[str, str]) -> BackedUpStorage:
    """A data root whose storage/ holds `files` (name -> text), backed up through the CLI."""
    from tests.restore.support import cli_env

    data = tmp_path / "data"
    storage = data / "storage"
    storage.mkdir(parents=True)
    for name, text in files.items():
        (storage / name).write_text(text)
    env = cli_env(data)
    code, created = cli.run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)
    assert code == 0, created
    return BackedUpStorage(env, storage, created)
