"""Peak memory of the Qdrant component while it downloads a 1 GiB snapshot.

The parent starts the test stand-in (a real HTTP server) serving a 1 GiB sparse file with its
real sha256, then runs the real component in a child process twice:
- baseline: the same child, same imports and calls, on a tiny snapshot (everything except a
  big download);
- big: the 1 GiB snapshot.
Each child reports its own peak RSS (ru_maxrss). Fails (exit 1) if the big run peaks at
150 MiB or more.

    uv run python benchmarks/qdrant_download_memory.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stand-in lives in tests/, which is not installed

LIMIT_MIB = 150


def child(url: str, collection: str, staging: Path) -> None:
    from persistence.components.base import CaptureContext
    from persistence.components.registry import qdrant_component
    from persistence.core.progress import ignore_progress
    from persistence.core.settings import BackupSettings

    settings = BackupSettings(  # type: ignore[call-arg]  # fields by name
        qdrant_url=url,
        qdrant_api_key=None,
        qdrant_collections=collection,
        qdrant_timeout=60.0,
        qdrant_download_deadline=600.0,
    )
    started = time.monotonic()
    component = qdrant_component(settings, settings.resolved().qdrant_path, skip=False)
    record = component.capture(CaptureContext(staging / "qdrant", ignore_progress))
    elapsed = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"peak_kib": peak_kib, "bytes": record.bytes, "seconds": elapsed}))


def run_child(url: str, collection: str, staging: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, collection, str(staging)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--child", nargs=3, metavar=("URL", "COLLECTION", "STAGING"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]))
        return 0

    from tests.qdrant_standin.archive import build_big_file
    from tests.qdrant_standin.server import QdrantStandin

    with tempfile.TemporaryDirectory(prefix="qdrant-bench-") as tmp:
        work = Path(tmp)
        size = args.size_mib * 1024 * 1024
        t0 = time.monotonic()
        big = build_big_file(work / "big.snapshot", size)
        print(
            f"built {size / 2**20:.0f} MiB sparse snapshot, sha256 {big.sha256[:16]}... "
            f"in {time.monotonic() - t0:.1f} s"
        )
        standin = QdrantStandin(work / "standin").start()
        try:
            standin.add_collection("small", points=20)
            standin.add_collection("big", archive=big)
            base = run_child(standin.url, "small", work / "staging-small")
            heavy = run_child(standin.url, "big", work / "staging-big")
            leftovers = standin.all_snapshot_names()
        finally:
            standin.stop()
    assert heavy["bytes"] == size, heavy
    assert leftovers == {"small": [], "big": []}, leftovers
    base_mib, peak_mib = base["peak_kib"] / 1024, heavy["peak_kib"] / 1024
    print(f"snapshot size        : {size / 2**20:10.1f} MiB")
    print(f"baseline peak RSS    : {base_mib:10.1f} MiB  (same child, 60 KiB snapshot)")
    print(
        f"download peak RSS    : {peak_mib:10.1f} MiB  ({heavy['seconds']:.1f} s, "
        f"{size / 2**20 / heavy['seconds']:.0f} MiB/s)"
    )
    print(f"extra for download   : {peak_mib - base_mib:10.1f} MiB")
    print(f"ratio peak/baseline  : {peak_mib / base_mib:10.2f}")
    print(f"peak / snapshot size : {peak_mib / (size / 2**20):10.4f}")
    if peak_mib >= LIMIT_MIB:
        print(f"FAIL: peak RSS {peak_mib:.1f} MiB >= {LIMIT_MIB} MiB")
        return 1
    print(f"OK: peak RSS under {LIMIT_MIB} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
