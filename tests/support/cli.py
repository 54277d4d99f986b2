"""The CLI exactly as a user runs it: `scripts/backup.py` in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKUP_SCRIPT = REPO_ROOT / "scripts" / "backup.py"


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `backup.py ARGS...` with exactly `env`; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, str(BACKUP_SCRIPT), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_json(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> tuple[int, dict[str, object]]:
    """Run `backup.py ARGS... --json`: the exit code and the one JSON document on stdout."""
    done = run_cli(*args, "--json", env=env, cwd=cwd)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)
