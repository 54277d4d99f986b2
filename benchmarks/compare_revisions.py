"""This tree against an earlier commit, run alternately on the same state: the speed-up itself.

    uv run benchmarks/compare_revisions.py --base a6773a4 [--scale 1] [--rounds 8]

The earlier commit is checked out into a temporary git worktree and run with this checkout's
interpreter and dependencies (its `src/` first on PYTHONPATH). Each version keeps its own backup
folder on one shared state (built as `space_and_time.py` builds it), so neither links from the
other's backups. Rows: a create that copies everything (`--full`, each into a fresh folder), a
second create with nothing changed (each version's folder holds the backups of the earlier
rounds, as keep-last would), and `list-backups` with 3 backups. Prints min/median/max per
version and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from space_and_time import build_state, check_room, disk_bytes, env_for, settle

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "backup.py"


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr[-2000:]}")
    return seconds


def show(label: str, runs: dict[str, list[float]]) -> None:
    for name, values in runs.items():
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"| {label} | {name} | {mid:.3f} s ({low:.3f}-{high:.3f}) |")
    ratio = statistics.median(runs["this tree"]) / statistics.median(runs["base"])
    print(f"| {label} | this tree / base | {ratio:.2f} |")


def full_creates(
    envs: dict[str, dict[str, str]], create: list[str], rounds: int
) -> dict[str, list[float]]:
    """Each version's create into a fresh folder of its own, nothing deleted before it (see
    space_and_time.one_round: deleting first slows the next create's file creation)."""
    seconds: dict[str, list[float]] = {name: [] for name in envs}
    for number in range(rounds):
        for name, env in envs.items():
            fresh = env | {"BACKUP_DIR": f"{env['BACKUP_DIR']}-full-{number}"}
            settle()
            seconds[name].append(timed([*create, "--full"], fresh))
    return seconds


def room_needed(state_bytes: int, rounds: int) -> int:
    """The full creates keep two copies of the state per round (one per version) until the
    run ends, and each version's first backup is one more."""
    return state_bytes * (2 * rounds + 2)


def main() -> None:
    parser = argparse.ArgumentParser(description="This tree against an earlier commit.")
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="compare-revisions-") as tmp:
        root = Path(tmp)
        base_tree = root / "base"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_tree), args.base],
            check=True,
            capture_output=True,
        )
        try:
            data = root / "data"
            build_state(data, args.scale)
            needed = room_needed(disk_bytes(data), args.rounds)
            check_room(root, needed, f"{args.rounds} rounds at scale {args.scale:g}")
            common = env_for(data)
            envs = {
                "base": common
                | {"PYTHONPATH": str(base_tree / "src"), "BACKUP_DIR": str(data / "b-base")},
                "this tree": common | {"BACKUP_DIR": str(data / "b-this")},
            }
            create = ["create-backup", "--json", "--no-prune"]
            # Untimed, before any timed step: the base's fresh worktree has no bytecode caches
            # (its first run compiles every module it loads), and a first backup each.
            for env in envs.values():
                timed(create, env)
            heading = f"what (scale {args.scale:g}, {args.rounds} rounds)"
            print(f"| {heading} | version | median (min-max) |")
            print("|---|---|---|")
            show("create, everything copied", full_creates(envs, create, args.rounds))
            seconds: dict[str, list[float]] = {name: [] for name in envs}
            for _ in range(args.rounds):
                for name, env in envs.items():
                    seconds[name].append(timed(create, env))
            show("second create, nothing changed", seconds)
            for env in envs.values():
                timed(["prune-backups", "--keep-last", "3", "--json"], env)
            listed: dict[str, list[float]] = {name: [] for name in envs}
            for _ in range(args.rounds * 2):
                for name, env in envs.items():
                    listed[name].append(timed(["list-backups"], env))
            show("list-backups, 3 backups", listed)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_tree)],
                check=False,
                capture_output=True,
            )
            shutil.rmtree(base_tree, ignore_errors=True)


if __name__ == "__main__":
    main()
