"""Peak memory of create with a large DuckDB file (issue 12: < 200 MiB for a 2 GB file).

    uv run benchmarks/duckdb_memory.py [--size-mib 2048] [--rounds 3]

Builds a DuckDB file of about `--size-mib` as the only component of a data root, and a second
root holding a copy of it plus a `.wal` left by a writer that died before its checkpoint (the
case DuckDB itself must replay). Each round runs `create-backup` in its own process on three
roots, interleaved: a tiny DuckDB (the baseline: start-up and the same code path), the large
file at rest (copied byte for byte under the read-only attach's lock), and the large file with
its WAL (file and WAL copied under the lock, the copied WAL replayed into the private copy
and checkpointed, one thread). Prints peak RSS
(wait4) min/median/max per root, the method each run recorded, and the ratio to the baseline;
exits 1 if a large run peaks at 200 MiB or more. Each run writes into a fresh backup folder
(see space_and_time.one_round for why nothing is deleted before a timed step).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
from space_and_time import MIB, check_room, env_for, settle, tool

LIMIT_MIB = 200
ROW_BYTES_ON_DISK = 43  # md5 text columns compress a little: measured on this builder


def build(path: Path, size_mib: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        rows = max(10_000, size_mib * MIB // ROW_BYTES_ON_DISK)
        con.execute(
            "CREATE TABLE events AS SELECT i AS id, md5(i::VARCHAR) AS a,"
            " md5((i * 7)::VARCHAR) AS b, random() AS latency FROM range(?) t(i)",
            [rows],
        )
    finally:
        con.close()


def leave_a_wal(path: Path) -> None:
    """A writer that commits rows and dies before DuckDB checkpoints them into the file."""
    crash = (
        "import duckdb, os, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"SET checkpoint_threshold = '1GB'\")\n"
        "con.execute('CREATE TABLE late AS SELECT range AS i FROM range(100000)')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(path)], check=True)
    wal = path.with_name(path.name + ".wal")
    if not wal.is_file() or wal.stat().st_size == 0:
        raise SystemExit("the crashed writer left no WAL: cannot measure the replay path")


def root_with(base: Path, name: str) -> Path:
    data = base / name
    (data / "analytics").mkdir(parents=True)
    return data


def measure(data: Path, number: int) -> tuple[float, str]:
    env = env_for(data) | {"BACKUP_DIR": str(data / f"backups-{number}")}
    settle()
    run = tool("create-backup", "--json", "--no-prune", env=env)
    methods = {c["name"]: c["method"] for c in json.loads(run.stdout)["components"]}
    return run.max_rss_mib, methods["analytics_db"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Issue 12: create's memory with a big DuckDB.")
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="duckdb-memory-") as tmp:
        base = Path(tmp)
        roots = {
            "tiny DuckDB (baseline)": root_with(base, "tiny"),
            "large, at rest": root_with(base, "rest"),
            "large, with a WAL to replay": root_with(base, "wal"),
        }
        build(roots["tiny DuckDB (baseline)"] / "analytics" / "analytics.duckdb", 1)
        large = roots["large, at rest"] / "analytics" / "analytics.duckdb"
        build(large, args.size_mib)
        replay = roots["large, with a WAL to replay"] / "analytics" / "analytics.duckdb"
        subprocess.run(["cp", str(large), str(replay)], check=True)
        leave_a_wal(replay)
        print(f"large DuckDB file: {large.stat().st_size / MIB:,.0f} MiB", flush=True)
        # Every round keeps a backup of each large file until the run ends.
        needed = 2 * large.stat().st_size * args.rounds
        check_room(base, needed, f"{args.rounds} rounds of {args.size_mib} MiB")
        peaks: dict[str, list[float]] = {name: [] for name in roots}
        methods: dict[str, set[str]] = {name: set() for name in roots}
        for number in range(1, args.rounds + 1):
            for name, data in roots.items():
                mib, method = measure(data, number)
                peaks[name].append(mib)
                methods[name].add(method)
            print(f"round {number}: " + ", ".join(f"{n}={p[-1]:.0f} MiB" for n, p in peaks.items()))
        report(peaks, methods, args.rounds)


def report(peaks: dict[str, list[float]], methods: dict[str, set[str]], rounds: int) -> None:
    baseline = statistics.median(next(iter(peaks.values())))
    print(f"\n| create, peak RSS ({rounds} rounds) | method | median (min-max) | vs baseline |")
    print("|---|---|---|---|")
    over = False
    for name, values in peaks.items():
        mid = statistics.median(values)
        over = over or (name != next(iter(peaks)) and max(values) >= LIMIT_MIB)
        shown = f"{mid:.0f} MiB ({min(values):.0f}-{max(values):.0f})"
        print(f"| {name} | {', '.join(sorted(methods[name]))} | {shown} | {mid / baseline:.2f} |")
    if over:
        print(f"a large run peaked at {LIMIT_MIB} MiB or more")
        sys.exit(1)


if __name__ == "__main__":
    main()
