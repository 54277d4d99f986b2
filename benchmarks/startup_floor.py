"""Where `list-backups` start-up goes: each layer of its imports timed as its own process.

    uv run benchmarks/startup_floor.py [--data DIR] [--rounds 12]

Rows, interleaved round by round so machine noise hits all alike: a bare interpreter; the
third-party stack the command cannot start without (pydantic, which typer 0.29 needs to parse
any option, typer and rich); that plus this tool's modules on the listing path; the whole
command; `--help`. The differences between rows are what each layer costs. `--data` is a data
root with backups (default: a sample state with two backups in a temp dir).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "backup.py"
THIRD_PARTY = "import typer._adapters, rich.console, rich.table, rich.markup"
OURS = (
    "import persistence.cli.main, persistence.cli.backup_commands, "
    "persistence.service.listing, persistence.core.settings"
)


def rows() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "bare `python -c pass`": [python, "-c", "pass"],
        "pydantic + typer + rich imported": [python, "-c", THIRD_PARTY],
        "... + this tool's listing modules": [python, "-c", f"{THIRD_PARTY}; {OURS}"],
        "`list-backups`": [python, str(SCRIPT), "list-backups"],
        "`--help`": [python, str(SCRIPT), "--help"],
    }


def sample_root(workdir: Path, env: dict[str, str]) -> Path:
    data = workdir / "data"
    env["BACKUP_DATA_DIR"] = str(data)
    for command in (["sample-data", "--large-file-mib", "1"], ["create-backup"], ["create-backup"]):
        subprocess.run(
            [sys.executable, str(SCRIPT), *command], env=env, check=True, capture_output=True
        )
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    # As on a user's machine, the bytecode caches are used (some CI images turn them off).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BACKUP_", "QDRANT_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPATH"] = str(REPO / "src")
    with tempfile.TemporaryDirectory() as scratch:
        if args.data is None:
            sample_root(Path(scratch), env)
        else:
            env["BACKUP_DATA_DIR"] = str(args.data)
        commands = rows()
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                start = time.perf_counter()
                subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
                seconds[name].append(time.perf_counter() - start)
    print(f"| what ({args.rounds} rounds) | median (min-max) |\n|---|---|")
    for name, values in seconds.items():
        print(
            f"| {name} | {statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f}) |"
        )


if __name__ == "__main__":
    main()
