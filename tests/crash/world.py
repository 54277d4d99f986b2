"""The states the crash matrix starts from, and what must hold after every kill."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from persistence import service
from persistence.backup.sample_state import create_sample_state
from persistence.core.settings import load_settings
from tests.support.cli import run_cli
from tests.support.trees import tree_digest

LEFTOVER_MARKERS = (".staging-", ".deleting-", ".restore-", ".tmp-", ".remote-tmp-", ".pruning")
# A folder remote inside the data root, so each copied world has its own.
REMOTE_FOLDER = "offsite"

# An app that crashed after committing: its rows live only in cache.db-wal.
_CRASHED_WRITER = """
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA journal_mode=WAL")
con.executemany("INSERT INTO responses (prompt_hash, response, created_at) VALUES (?, ?, ?)",
                [(f"after-backup-{i}", "new answer", "2026-12-01") for i in range(200)])
con.commit()
os._exit(0)
"""


def env_for(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
    env["BACKUP_DATA_DIR"] = str(data)
    env["BACKUP_REMOTE"] = str(data / REMOTE_FOLDER)
    return env


def make_template(
    root: Path, backups: int, live_changes: bool, *, only_remote: bool = False
) -> Path:
    """Sample state, `backups` complete backups, and (for restore) a live state that differs.

    `only_remote`: the backups are pushed to the folder remote, then deleted here (for pull).
    """
    data = root / "data"
    settings = load_settings(data_dir=data)
    create_sample_state(settings.resolved(), large_file_mib=1)
    (data / REMOTE_FOLDER).mkdir()
    for _ in range(backups):
        assert service.create_backup(settings, prune=False).ok
    if only_remote:
        pushed = run_cli("push-backup", "--all", env=env_for(data))
        assert pushed.returncode == 0, pushed.stderr
        for backup in (data / "backups").glob("backup_*"):
            shutil.rmtree(backup)
    if live_changes:
        resolved = settings.resolved()
        (resolved.storage_dir / "docstore.json").write_text('{"changed": true}')
        (resolved.uploads_dir / "added-after-backup.txt").write_text("new upload")
        writer = [sys.executable, "-c", _CRASHED_WRITER, str(resolved.cache_db)]
        subprocess.run(writer, check=True)
        assert resolved.cache_db.with_name("cache.db-wal").exists()
    return data


def copy_world(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, symlinks=True)
    return target


def backup_digests(data: Path) -> dict[str, dict[str, str]]:
    root = data / "backups"
    return {
        p.name: tree_digest(p)
        for p in sorted(root.iterdir())
        if p.is_dir() and p.name.startswith(("backup_", "pre-restore_"))
    }


def sqlite_rows(db: Path, scratch: Path) -> list[tuple[object, ...]]:
    """The rows an app would see opening `db` now, journals included, without touching it."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    for item in db.parent.iterdir():
        if item.name == db.name or item.name.startswith(f"{db.name}-"):
            shutil.copy2(item, scratch / item.name)
    con = sqlite3.connect(scratch / db.name)
    try:
        return list(con.execute("SELECT * FROM responses ORDER BY id"))
    except sqlite3.DatabaseError as exc:
        return [("unreadable", str(exc))]
    finally:
        con.close()


@dataclass(frozen=True)
class ComponentStates:
    """What the restore scenario's components look like before (old) and after (new)."""

    storage: dict[str, str]
    uploads: dict[str, str]
    cache_rows: list[tuple[object, ...]]
    analytics: bytes


def live_states(data: Path, scratch: Path) -> ComponentStates:
    analytics = data / "analytics" / "analytics.duckdb"
    return ComponentStates(
        storage=tree_digest(data / "storage"),
        uploads=tree_digest(data / "uploads"),
        cache_rows=sqlite_rows(data / "cache" / "cache.db", scratch),
        analytics=analytics.read_bytes() if analytics.exists() else b"",
    )


def mixed_components(now: ComponentStates, old: ComponentStates, new: ComponentStates) -> list[str]:
    """The components that are neither their old nor their new state."""
    mixed: list[str] = []
    for name in ("storage", "uploads", "cache_rows", "analytics"):
        value = getattr(now, name)
        if value not in (getattr(old, name), getattr(new, name)):
            mixed.append(name)
    return mixed


def leftovers(data: Path) -> list[str]:
    found: list[str] = []
    for path in data.rglob("*"):
        if any(marker in path.name for marker in LEFTOVER_MARKERS):
            found.append(str(path.relative_to(data)))
    return found


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=lambda: [])

    def check(self, condition: bool, message: str) -> None:
        if not condition:
            self.problems.append(message)


def valid_backups_verify(data: Path, verdict: Verdict) -> None:
    """Everything list-backups calls valid passes verify (which also recovers leftovers)."""
    env = env_for(data)
    listed = run_cli("list-backups", "--json", env=env)
    verdict.check(listed.returncode == 0, f"list-backups failed: {listed.stderr.strip()}")
    if listed.returncode != 0:
        return
    valid = {row["backup_id"] for row in json.loads(listed.stdout) if row["valid"]}
    checked = run_cli("verify-backup", "--all", "--json", env=env)
    try:
        reports = {r["backup_id"]: r for r in json.loads(checked.stdout)}
    except (ValueError, TypeError):
        verdict.problems.append(f"verify --all printed no report list: {checked.stderr.strip()}")
        return
    for backup_id in sorted(valid):
        report = reports.get(backup_id)
        ok = report is not None and report["ok"]
        verdict.check(ok, f"{backup_id} is listed valid but fails verify")
