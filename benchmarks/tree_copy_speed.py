"""Tree copy throughput: the engine's one-pass copy+hash against copy-then-hash, same run.

    uv run benchmarks/tree_copy_speed.py [--mib 256]

Prints both timings and their ratio; the baseline is shutil.copytree followed by a separate
sha256 pass over the copy (what a naive tool does to fill a manifest), without any fsync;
the engine's timing includes making its copy durable (syncfs).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from persistence.components.base import CaptureContext
from persistence.components.trees import TreeComponent
from persistence.core.fsio import sync_filesystem


def make_tree(root: Path, total_mib: int) -> None:
    big = root / "big"
    small = root / "small"
    big.mkdir(parents=True)
    small.mkdir()
    half = total_mib * 1024 * 1024 // 2
    for i in range(4):
        (big / f"blob{i}.bin").write_bytes(os.urandom(half // 4))
    for i in range(2000):
        (small / f"note{i:04d}.txt").write_bytes(os.urandom(half // 2000))


def baseline(source: Path, target: Path) -> float:
    start = time.perf_counter()
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        if path.is_file():
            hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - start


def engine(source: Path, target: Path) -> float:
    start = time.perf_counter()
    TreeComponent("storage", source).capture(CaptureContext(target, lambda _e: None))
    sync_filesystem(target)  # the engine makes its copy durable before committing it
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_tree(root / "src", args.mib)
        timings: dict[str, list[float]] = {"baseline": [], "engine": []}
        for round_no in range(3):
            for name, run in (("baseline", baseline), ("engine", engine)):
                target = root / f"{name}{round_no}"
                timings[name].append(run(root / "src", target))
                shutil.rmtree(target)
    best_base = min(timings["baseline"])
    best_engine = min(timings["engine"])
    mib = args.mib
    print(f"tree of {mib} MiB (4 large files + 2000 small), best of 3, page cache warm")
    print(f"baseline copytree + hash pass : {best_base:.2f}s ({mib / best_base:.0f} MiB/s)")
    print(f"engine one-pass copy+hash     : {best_engine:.2f}s ({mib / best_engine:.0f} MiB/s)")
    print(f"ratio engine/baseline time    : {best_engine / best_base:.2f}")


if __name__ == "__main__":
    main()
