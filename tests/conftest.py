"""Fixtures shared by every test folder: an isolated environment and sample app state."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from persistence.backup.sample_state import create_sample_state
from persistence.core.settings import BackupSettings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
BACKUP_SCRIPT = REPO_ROOT / "scripts" / "backup.py"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No BACKUP_*/QDRANT_* from the developer's shell and no stray .env leak into a test."""
    for name in list(os.environ):
        if name.startswith(("BACKUP_", "QDRANT_")):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    yield


@dataclass(frozen=True)
class AppState:
    data_dir: Path
    settings: BackupSettings

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
        env["BACKUP_DATA_DIR"] = str(self.data_dir)
        env.update(extra)
        return env

    def backups(self) -> list[str]:
        if not self.backup_dir.exists():
            return []
        return sorted(p.name for p in self.backup_dir.iterdir() if p.name.startswith("backup_"))


@pytest.fixture
def app_state(tmp_path: Path) -> AppState:
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir)
    create_sample_state(settings.resolved(), large_file_mib=1)
    return AppState(data_dir, settings)


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The CLI exactly as a user runs it, in its own process."""
    return subprocess.run(
        [sys.executable, str(BACKUP_SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tree_digest(root: Path) -> dict[str, bytes | str]:
    """Every file's bytes and every link's target under `root`, to compare states."""
    state: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[rel] = f"-> {os.readlink(path)}"
        elif path.is_file():
            state[rel] = path.read_bytes()
    return state
