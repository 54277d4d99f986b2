"""BACKUP_COMPRESSION=zstd: database copies and Qdrant snapshots stored compressed, read back
byte for byte; verify checks the stored hash and what the copy decompresses to."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from persistence.core.codec import Codec, Compression, parse_compression
from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import cli_env, db_contents, make_state
from tests.support.cli import run_cli, run_json


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_compressed_round_trip_is_byte_identical(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    settings = make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url, BACKUP_COMPRESSION="zstd:9")
    code, created = run_json("create-backup", env=env)
    assert code == 0, created
    backup = Path(str(created["path"]))
    manifest = json.loads((backup / "manifest.json").read_text())
    parts = {c["name"]: c for c in manifest["components"]}
    db_file = parts["cache_db"]["files"][0]
    assert db_file["path"] == "cache.db.zst" and db_file["codec"] == "zstd"
    assert db_file["sha256"] == _sha(backup / "cache_db" / "cache.db.zst")
    assert db_file["size"] < db_file["original_size"], "the sample cache compresses"
    assert not (backup / "cache_db" / "cache.db").exists()
    snapshots = parts["qdrant"]["qdrant"]["collections"]
    assert all(c["file"].endswith(".snapshot.zst") and c["codec"] == "zstd" for c in snapshots)
    assert all(c["sha256"] == _sha(backup / "qdrant" / c["file"]) for c in snapshots)
    deep = run_cli("verify-backup", "--latest", "--deep", env=env)
    assert deep.returncode == 0, deep.stdout + deep.stderr

    original_db = db_contents(settings)
    con = sqlite3.connect(data / "cache" / "cache.db")
    con.execute("DELETE FROM responses")
    con.commit()
    con.close()
    with qdrant_standin.state.lock:
        del qdrant_standin.state.collections["docs"]
    code, restored = run_json("restore-backup", "--latest", env=env)
    assert code == 0, restored
    assert db_contents(settings) == original_db
    assert _sha(data / "cache" / "cache.db") == db_file["original_sha256"]
    analytics = parts["analytics_db"]["files"][0]
    assert _sha(data / "analytics" / "analytics.duckdb") == analytics["original_sha256"]
    uploads = qdrant_standin.state.requests_to("POST", r"/collections/[^/]+/snapshots/upload")
    # The body-less permission probe before each upload carries no checksum (issue 10).
    uploads = [r for r in uploads if "checksum" in r.query]
    # The server is sent the snapshot as Qdrant made it, with that file's checksum.
    assert {r.path.split("/")[2]: r.query["checksum"] for r in uploads} == {
        c["name"]: c["original_sha256"] for c in snapshots
    }


def test_a_damaged_compressed_copy_fails_verification(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    env = cli_env(data, BACKUP_COMPRESSION="zstd")
    code, created = run_json("create-backup", env=env)
    assert code == 0, created
    stored = Path(str(created["path"])) / "analytics_db" / "analytics.duckdb.zst"
    stored.chmod(0o600)
    raw = bytearray(stored.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    stored.write_bytes(bytes(raw))
    done = run_cli("verify-backup", "--latest", env=env)
    assert done.returncode == 4
    assert "analytics.duckdb.zst" in done.stdout + done.stderr


def test_compression_setting_forms() -> None:
    assert parse_compression("none") == Compression()
    assert parse_compression(" ZSTD ") == Compression(Codec.ZSTD, 3)
    assert parse_compression("zstd:19") == Compression(Codec.ZSTD, 19)
    for bad in ("gzip", "zstd:0", "zstd:23", "zstd:x", "none:3"):
        try:
            parse_compression(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_an_unknown_codec_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    done = run_cli("create-backup", env=cli_env(data, BACKUP_COMPRESSION="gzip"))
    assert done.returncode == 2
    assert "BACKUP_COMPRESSION" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
