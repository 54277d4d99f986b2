"""Space and time (issue 12): every row of its table as a ratio, tool and baseline interleaved.

    uv run benchmarks/space_and_time.py [--scale 0.05] [--rounds 3] [--rss-scales 0.05,0.2]

`--scale 1` builds the issue's 2 GB state (1.1 GB of uploads in 204 files, 5,000 small storage
files, a 499 MiB SQLite DB in WAL mode, a 293 MiB DuckDB); smaller scales shrink every size and
count alike, so the mix (and so the ratios) stays the same. Each round runs the tool and its
baseline back to back, so machine noise hits both; min/median/max are over the rounds.
Every tool command runs in its own process, as a user runs it; its peak RSS comes from wait4.

The tool runs on the interpreter that runs this script (printed first). To measure on another,
e.g. Debian's: `UV_PROJECT_ENVIRONMENT=.venv-system uv run --python /usr/bin/python3.11
benchmarks/space_and_time.py ...`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "backup.py"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mib: float
    stdout: str


def bare_python(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - start


def tool(*args: str, env: dict[str, str]) -> Run:
    """scripts/backup.py in its own process, peak RSS measured by a wait4 wrapper."""
    # The wrapper times the tool's process itself, so its own interpreter start (~20 ms) is
    # not counted against the tool.
    wrapper = (
        "import os, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "p = subprocess.Popen(sys.argv[1:])\n"
        "_, status, usage = os.wait4(p.pid, 0)\n"
        "seconds = time.perf_counter() - start\n"
        "sys.stderr.write(f'\\nMAXRSS_KIB={usage.ru_maxrss} SECONDS={seconds}\\n')\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    args_full = [sys.executable, "-c", wrapper, sys.executable, str(SCRIPT), *args]
    proc = subprocess.run(args_full, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"backup.py {' '.join(args)} failed: {proc.stdout[-1000:]}{proc.stderr}")
    kib = int(proc.stderr.rsplit("MAXRSS_KIB=", 1)[1].split()[0])
    seconds = float(proc.stderr.rsplit("SECONDS=", 1)[1].split()[0])
    return Run(seconds, kib / 1024, proc.stdout)


def shell(command: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=True)
    return time.perf_counter() - start


def build_state(data: Path, scale: float, seed: int = 12) -> None:
    rng = random.Random(seed)
    uploads = data / "uploads"
    storage = data / "storage"
    upload_count = max(4, round(204 * scale))
    upload_bytes = int(1.1e9 * scale) // upload_count
    for i in range(upload_count):
        target = uploads / f"{i % 12:02d}" / f"upload-{i:03d}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.randbytes(upload_bytes))
    for i in range(max(20, round(5000 * scale))):
        target = storage / f"shard-{i % 50:02d}" / f"doc-{i:05d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.randbytes(rng.randint(200, 4000)))
    _sqlite(data / "cache" / "cache.db", int(499 * MIB * scale), rng)
    _duckdb(data / "analytics" / "analytics.duckdb", int(293 * MIB * scale))


def _sqlite(path: Path, size: int, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE responses (id INTEGER PRIMARY KEY, body BLOB)")
    rows = size // 4096
    for start in range(0, rows, 1000):
        batch = [(rng.randbytes(3900),) for _ in range(min(1000, rows - start))]
        con.executemany("INSERT INTO responses (body) VALUES (?)", batch)
        con.commit()
    con.close()


def _duckdb(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    # md5 text does not compress much: roughly 70 bytes on disk per row.
    con.execute(
        "CREATE TABLE events AS SELECT i AS id, md5(i::VARCHAR) AS a, md5((i * 7)::VARCHAR) AS b,"
        " random() AS latency FROM range(?) t(i)",
        [max(10_000, size // 70)],
    )
    con.close()


def disk_bytes(root: Path) -> int:
    """Bytes allocated under root, each inode counted once (hard links share theirs)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for current, _dirs, files in os.walk(root):
        for name in files:
            st = (Path(current) / name).lstat()
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def env_for(data: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE (set on some CI images) would make every start-up compile every
    # module from source; a user's machine keeps the bytecode caches, so these runs do too.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BACKUP_", "QDRANT_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["BACKUP_DATA_DIR"] = str(data)
    return env


def round_env(data: Path, number: int) -> dict[str, str]:
    return env_for(data) | {"BACKUP_DIR": str(data / f"backups-{number}")}


def room_for_rounds(state_bytes: int, rounds: int, rss_scales: list[float]) -> int:
    """Each round keeps three copies of the state (cp's, the first backup, the copy back)
    until the run ends; the peak-RSS step then builds its largest state and backs it up
    beside them."""
    return 3 * state_bytes * rounds + 2 * int(disk_mib(max(rss_scales)) * MIB)


def check_room(root: Path, needed: int, what: str) -> None:
    """Refuse up front a run that would fill the disk part-way (a nearly full filesystem
    also slows the allocations the later rounds are timed on)."""
    free = shutil.disk_usage(root).free
    if free < needed * 1.1:
        raise SystemExit(
            f"{what} need about {needed / 2**30:.1f} GiB free under {root}, "
            f"{free / 2**30:.1f} GiB are: use fewer --rounds, a smaller scale or another "
            "--workdir"
        )


def warm_up(root: Path) -> None:
    """One untimed round on a tiny state, so that bytecode caches exist before timing."""
    data = root / "warm-up"
    build_state(data, 0.002)
    try:
        one_round(data, root / "warm-up-scratch", round_env(data, 0))
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(root / "warm-up-scratch", ignore_errors=True)


def tree_of(data: Path) -> str:
    return " ".join(str(data / n) for n in ("uploads", "storage", "cache", "analytics"))


def change_seven_bytes(data: Path) -> None:
    victim = sorted((data / "uploads").rglob("*.bin"))[0]
    with victim.open("r+b") as handle:
        handle.seek(victim.stat().st_size // 2)
        handle.write(b"CHANGED")


def settle() -> None:
    """Start each timed step with no dirty pages left by the steps before it."""
    subprocess.run(["sync"], check=True)


def one_round(data: Path, scratch: Path, env: dict[str, str]) -> dict[str, float]:
    """One round into its own fresh folders (`scratch`, the backup folder named in `env`): no
    timed step follows a deletion of this script's. On ext4 without a journal (this project's
    2-core VMs) a new file skips every inode freed in the last 60 s, 360 s while its
    inode-table block is dirty (`recently_deleted`, fs/ext4/ialloc.c); after a round's 10,000
    files were deleted, that scan and the directory lock held during it took a third of
    create's CPU (perf) and moved the create/cp ratio between 0.9 and 3.1. Nothing is deleted
    until the run ends."""
    backups = Path(env["BACKUP_DIR"])
    copied, copied_back = scratch / "copied", scratch / "copied-back"
    copied.mkdir(parents=True)
    copied_back.mkdir()
    settle()
    baseline = shell(f"cp -a {tree_of(data)} {copied}/ && sync")
    first = tool("create-backup", "--json", "--no-prune", env=env)
    first_id = json.loads(first.stdout)["backup_id"]
    size_first = disk_bytes(backups)
    second = tool("create-backup", "--json", "--no-prune", env=env)
    extra = disk_bytes(backups) - size_first
    change_seven_bytes(data)
    settle()
    copy_back = shell(f"cp -a {backups / first_id}/. {copied_back}/ && sync")
    restore = tool("restore-backup", first_id, "--json", env=env)
    # The first listing after a change (here the restore's undo copy) walks the backups for
    # their on-disk figures; the next ones use what it remembered (store/footprint.py).
    first_listing = tool("list-backups", env=env).seconds
    started = tool("list-backups", env=env).seconds
    helped = tool("--help", env=env).seconds
    bare = bare_python(env)
    return {
        "create_vs_cp": first.seconds / baseline,
        "second_time": second.seconds / first.seconds,
        "second_disk": extra / size_first,
        "restore_vs_cp": restore.seconds / copy_back,
        "list_first_s": first_listing,
        "list_s": started,
        "help_s": helped,
        "python_s": bare,
        "create_rss": first.max_rss_mib,
        # The seconds behind the ratios: this VM's disk speed drifts, and a ratio alone does
        # not say which side moved.
        "cp_s": baseline,
        "create_s": first.seconds,
        "second_s": second.seconds,
        "copy_back_s": copy_back,
        "restore_s": restore.seconds,
    }


ROWS = {
    "create_vs_cp": ("create vs `cp -a` + `sync`", "×"),
    "second_time": ("second create, nothing changed: time (of first)", "%"),
    "second_disk": ("second create, nothing changed: extra disk (of first)", "%"),
    "restore_vs_cp": ("restore after 7 bytes changed vs `cp -a` back + `sync`", "×"),
    "list_first_s": ("`list-backups`, first after a change (s)", "s"),
    "list_s": ("`list-backups` start-up (s)", "s"),
    "help_s": ("`--help` start-up (s)", "s"),
    "python_s": ("bare `python -c pass` (s), for scale", "s"),
}


ABSOLUTE = {
    "cp_s": "`cp -a` + `sync`",
    "create_s": "create",
    "second_s": "second create",
    "copy_back_s": "`cp -a` back + `sync`",
    "restore_s": "restore",
}


def show(values: list[float], unit: str) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    if unit == "%":
        return f"{mid:.0%} (min {low:.0%}, max {high:.0%})"
    if unit == "×":
        return f"{mid:.2f}× (min {low:.2f}, max {high:.2f})"
    return f"{mid:.2f} s (min {low:.2f}, max {high:.2f})"


def peak_rss(scale: float, root: Path) -> float:
    data = root / f"rss-{scale:g}"
    build_state(data, scale)
    env = env_for(data)
    try:
        return tool("create-backup", "--json", "--no-prune", env=env).max_rss_mib
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Issue 12: space and time, as ratios.")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-scales", default="0.05,0.2")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="space-and-time-") as tmp:
        root = Path(tmp)
        warm_up(root)
        data = root / "data"
        build_state(data, args.scale)
        print(interpreter())
        state_bytes = disk_bytes(data)
        print(f"state at scale {args.scale:g}: {state_bytes / MIB:,.0f} MiB", flush=True)
        rss_scales = [float(s) for s in args.rss_scales.split(",")]
        needed = room_for_rounds(state_bytes, args.rounds, rss_scales)
        check_room(root, needed, f"{args.rounds} rounds and the peak-RSS states")
        results: dict[str, list[float]] = defaultdict(list)
        for number in range(1, args.rounds + 1):
            measured = one_round(data, root / f"scratch-{number}", round_env(data, number))
            for key, value in measured.items():
                results[key].append(value)
            print(f"round {number}: " + ", ".join(f"{k}={v:.3f}" for k, v in measured.items()))
        print(f"\n| what (scale {args.scale:g}, {args.rounds} rounds) | median (min, max) |")
        print("|---|---|")
        for key, (label, unit) in ROWS.items():
            print(f"| {label} | {show(results[key], unit)} |")
        rss = [(s, peak_rss(s, root)) for s in rss_scales]
        shown = " → ".join(f"{mib:,.0f} MiB @ {disk_mib(s):,.0f} MiB state" for s, mib in rss)
        print(f"| peak RSS of create | {shown} |")
        absolute = ", ".join(
            f"{label} {show(results[key], 's')}" for key, label in ABSOLUTE.items()
        )
        print(f"\nseconds behind the ratios: {absolute}")


def interpreter() -> str:
    """Which Python ran the tool: start-up moves by a quarter between builds (pyenv's default
    build has no PGO/LTO and a shared libpython; Debian's and uv's own are optimized)."""
    real = os.path.realpath(sys.executable)
    return f"interpreter: {real} ({platform.python_version()}, built {platform.python_build()[1]})"


def disk_mib(scale: float) -> float:
    return 2048 * scale


if __name__ == "__main__":
    main()
