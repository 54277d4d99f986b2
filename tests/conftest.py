"""Fixtures shared by every test folder: an isolated environment and sample app state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from persistence.backup.sample_state import create_sample_state
from persistence.core.settings import BackupSettings, load_settings


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No BACKUP_*/QDRANT_* from the developer's shell and no stray .env leak into a test."""
    for name in list(os.environ):
        if name.upper().startswith(("BACKUP_", "QDRANT_")):  # names are read case-blind
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
        env = {
            k: v for k, v in os.environ.items() if not k.upper().startswith(("BACKUP_", "QDRANT_"))
        }
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
