"""Peak memory and throughput of a remote upload, next to a plain upload with the same library.

The parent starts the real emulators (gcp-storage-emulator, moto server) on 127.0.0.1 and
writes one file of random bytes per size. Each upload runs in its own child process, which
reports its own peak RSS (ru_maxrss) and time:
- tool: `Remote.put_file` (the code a push runs);
- plain: the library's own one-call upload of the same file with its defaults
  (google-cloud-storage `upload_from_filename`, boto3 `upload_file`, `shutil.copyfile`).
Fails (exit 1) if a tool upload peaks at 150 MiB or more.

    uv run python benchmarks/remote_push_memory.py [--sizes-mib 64 512] [--kinds folder gcs s3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the emulator fixtures live in tests/, which is not installed

LIMIT_MIB = 150
CHUNK = 8 * 1024 * 1024


def child(kind: str, mode: str, url: str, source: Path, sha256: str) -> None:
    started = time.monotonic()
    if mode == "tool":
        from persistence.remote.target import open_remote, parse_remote

        target = parse_remote(url)
        assert target is not None
        open_remote(target).put_file(f"bench/{source.name}", source, sha256=sha256)
    elif kind == "gcs":
        from google.cloud import storage  # pyright: ignore[reportMissingTypeStubs]

        bucket = storage.Client().bucket(url.split("/")[2])
        bucket.blob(f"plain/{source.name}").upload_from_filename(str(source))
    elif kind == "s3":
        import boto3

        boto3.client("s3").upload_file(str(source), url.split("/")[2], f"plain/{source.name}")
    else:
        import shutil

        shutil.copyfile(source, Path(url) / f"plain-{source.name}")
    seconds = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"peak_kib": peak_kib, "seconds": seconds}))


def run_child(
    kind: str, mode: str, url: str, source: Path, sha: str, env: dict[str, str]
) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, mode, url, str(source), sha],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_file(folder: Path, size_mib: int) -> tuple[Path, str]:
    path = folder / f"payload-{size_mib}MiB.bin"
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for _ in range(size_mib * 1024 * 1024 // CHUNK):
            block = os.urandom(CHUNK)
            digest.update(block)
            handle.write(block)
    return path, digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description="Remote upload memory and throughput")
    parser.add_argument("--sizes-mib", type=int, nargs="+", default=[64, 512])
    parser.add_argument("--kinds", nargs="+", default=["folder", "gcs", "s3"])
    args = parser.parse_args()
    from contextlib import ExitStack

    from tests.remote.conftest import gcs_env, s3_env
    from tests.remote.emulators import GCS_BUCKET, S3_BUCKET, gcs_emulator, s3_emulator

    failed = False
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        targets: dict[str, tuple[str, dict[str, str]]] = {}
        if "folder" in args.kinds:
            (work / "offsite").mkdir()
            targets["folder"] = (str(work / "offsite"), {})
        if "gcs" in args.kinds:
            gcs = stack.enter_context(gcs_emulator(work / "gcs.log"))
            targets["gcs"] = (f"gs://{GCS_BUCKET}/bench", gcs_env(gcs.url))
        if "s3" in args.kinds:
            s3 = stack.enter_context(s3_emulator(work / "s3.log"))
            targets["s3"] = (f"s3://{S3_BUCKET}/bench", s3_env(s3.url))
        print(
            f"{'kind':6} {'size MiB':>8} {'tool peak MiB':>13} {'plain peak MiB':>14} "
            f"{'tool MiB/s':>10} {'plain MiB/s':>11}"
        )
        for size in args.sizes_mib:
            source, sha = make_file(work, size)
            for kind, (url, env) in targets.items():
                tool = run_child(kind, "tool", url, source, sha, env)
                plain = run_child(kind, "plain", url, source, sha, env)
                tool_peak, plain_peak = tool["peak_kib"] / 1024, plain["peak_kib"] / 1024
                print(
                    f"{kind:6} {size:>8} {tool_peak:>13.0f} {plain_peak:>14.0f} "
                    f"{size / tool['seconds']:>10.1f} {size / plain['seconds']:>11.1f}",
                    flush=True,
                )
                failed = failed or tool_peak >= LIMIT_MIB
            source.unlink()
    print(f"limit: tool peak under {LIMIT_MIB} MiB: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], Path(sys.argv[5]), sys.argv[6])
        sys.exit(0)
    sys.exit(main())
