"""The CLI for the browse tests: argument lists, and JSON read as plain data."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.support import cli


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return cli.run_cli(*args, env=env, cwd=cwd)


def run_json(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, Any]:
    return cli.run_json(*args, env=env, cwd=cwd)
