"""The environment names are a public contract; secrets never leave the settings object."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices

from persistence.core.settings import BackupSettings, load_settings
from tests.conftest import AppState
from tests.support.cli import run_cli

CONTRACT = {
    "BACKUP_DATA_DIR": ("data_dir", "/srv/app", Path("/srv/app")),
    "BACKUP_DIR": ("backup_dir", "bk", Path("bk")),
    "BACKUP_CACHE_DB": ("cache_db", "c.db", Path("c.db")),
    "BACKUP_STORAGE_DIR": ("storage_dir", "st", Path("st")),
    "BACKUP_UPLOADS_DIR": ("uploads_dir", "up", Path("up")),
    "BACKUP_ANALYTICS_DB": ("analytics_db", "a.duckdb", Path("a.duckdb")),
    "BACKUP_LOGS_DIR": ("logs_dir", "lg", Path("lg")),
    "BACKUP_INCLUDE_LOGS": ("include_logs", "true", True),
    "BACKUP_KEEP_LAST": ("keep_last", "3", 3),
    "BACKUP_KEEP_UNDO": ("keep_undo", "0", 0),
    "BACKUP_RETENTION_DAYS": ("retention_days", "14", 14.0),
    "BACKUP_KEEP_HOURLY": ("keep_hourly", "24", 24),
    "BACKUP_KEEP_DAILY": ("keep_daily", "7", 7),
    "BACKUP_KEEP_WEEKLY": ("keep_weekly", "4", 4),
    "BACKUP_KEEP_MONTHLY": ("keep_monthly", "12", 12),
    "BACKUP_KEEP_YEARLY": ("keep_yearly", "3", 3),
    "BACKUP_INCREMENTAL": ("incremental", "false", False),
    "BACKUP_COMPRESSION": ("compression", "zstd:9", "zstd:9"),
    "BACKUP_LOCK_TIMEOUT": ("lock_timeout", "5", 5.0),
    "BACKUP_ALLOWED_ROOTS": ("allowed_roots", "/mnt/a,/mnt/b", "/mnt/a,/mnt/b"),
    "BACKUP_EXPECTED_INTERVAL_HOURS": ("expected_interval_hours", "6", 6.0),
    "BACKUP_SCHEDULER": ("scheduler", "cron", "cron"),
    "BACKUP_CRONTAB_COMMAND": ("crontab_command", "/usr/bin/crontab", "/usr/bin/crontab"),
    "BACKUP_REMOTE": ("remote", "gs://bucket/app", "gs://bucket/app"),
    "BACKUP_REMOTE_KEEP_LAST": ("remote_keep_last", "4", 4),
    "BACKUP_REMOTE_RETENTION_DAYS": ("remote_retention_days", "30", 30.0),
    "BACKUP_PUSH_AFTER_CREATE": ("push_after_create", "true", True),
    "QDRANT_URL": ("qdrant_url", "http://127.0.0.1:6333", "http://127.0.0.1:6333"),
    "QDRANT_COLLECTIONS": ("qdrant_collections", "a,b", "a,b"),
    "QDRANT_PATH": ("qdrant_path", "qd", Path("qd")),
    "QDRANT_TIMEOUT": ("qdrant_timeout", "7", 7.0),
    "QDRANT_DOWNLOAD_DEADLINE": ("qdrant_download_deadline", "90", 90.0),
    "QDRANT_SNAPSHOT_DEADLINE": ("qdrant_snapshot_deadline", "120", 120.0),
    "QDRANT_DELETE_SERVER_SNAPSHOT": ("qdrant_delete_server_snapshot", "false", False),
    "QDRANT_SNAPSHOT_ON_START": ("qdrant_snapshot_on_start", "1", True),
    "QDRANT_SNAPSHOT_DIR": ("qdrant_snapshot_dir", "snaps", Path("snaps")),
}


@pytest.mark.parametrize("env_name", sorted(CONTRACT))
def test_environment_names(monkeypatch: pytest.MonkeyPatch, env_name: str) -> None:
    field, raw, expected = CONTRACT[env_name]
    monkeypatch.setenv(env_name, raw)
    assert getattr(load_settings(), field) == expected


# Names with their own tests: the key is a secret (test_secrets_are_redacted), the single
# collection name is an alias of QDRANT_COLLECTIONS (test_collection_lists_and_...).
# Secrets and aliases, each tested where it is used: the key in tests/qdrant, the alias below,
# the notification URLs (never shown) in tests/monitoring/test_notify*.py.
TESTED_ELSEWHERE = {
    "QDRANT_API_KEY",
    "QDRANT_COLLECTION_NAME",
    "BACKUP_NOTIFY_URL",
    "BACKUP_NOTIFY_WEBHOOK",
}


def test_every_environment_name_is_in_the_contract_table() -> None:
    declared: set[str] = set()
    for field in BackupSettings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            declared.add(alias)
        elif isinstance(alias, AliasChoices):
            declared.update(choice for choice in alias.choices if isinstance(choice, str))
    assert declared == set(CONTRACT) | TESTED_ELSEWHERE


def test_allowed_roots_resolve_next_to_the_data_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKUP_DATA_DIR", "/srv/app")
    monkeypatch.setenv("BACKUP_ALLOWED_ROOTS", " /mnt/a , extra ,")
    roots = load_settings().resolved().allowed_roots
    assert roots == (Path("/srv/app"), Path("/mnt/a"), Path("/srv/app/extra"))


def test_defaults_resolve_against_the_data_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKUP_DATA_DIR", "/srv/app")
    paths = load_settings().resolved()
    assert paths.backup_dir == Path("/srv/app/backups")
    assert paths.cache_db == Path("/srv/app/cache/cache.db")
    assert paths.analytics_db == Path("/srv/app/analytics/analytics.duckdb")
    assert load_settings().collection_names() is None


def test_collection_lists_and_the_single_name_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_COLLECTION_NAME", "docs")
    assert load_settings().collection_names() == ["docs"]
    monkeypatch.setenv("QDRANT_COLLECTIONS", " a , b ,")
    assert load_settings().collection_names() == ["a", "b"]


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKUP_KEEP_LAST", "3")
    assert load_settings(keep_last=9, backup_dir=None).keep_last == 9


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    Path(".env").write_text("BACKUP_KEEP_LAST=4\n")
    assert load_settings().keep_last == 4


def test_the_environment_beats_dotenv_whichever_name_each_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container's environment is the truth; a stale `.env` beside the app must not win, even
    through the other name of the same setting, nor with its names in lower case."""
    Path(".env").write_text("QDRANT_COLLECTIONS=from-dotenv\nbackup_keep_last=4\n")
    monkeypatch.setenv("QDRANT_COLLECTION_NAME", "from-environment")
    settings = load_settings()
    assert settings.qdrant_collections == "from-environment"
    assert settings.keep_last == 4  # a lower-case name in .env is still read
    monkeypatch.setenv("BACKUP_KEEP_LAST", "6")
    assert load_settings().keep_last == 6


def test_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_API_KEY", "s3cr3t-key-value")
    monkeypatch.setenv("QDRANT_URL", "https://user:hunter2@qdrant.example:6333/base")
    settings = load_settings()
    shown = settings.redacted()
    assert shown["qdrant_api_key"] == "set"
    assert shown["qdrant_url"] == "https://***@qdrant.example:6333/base"
    text = repr(shown) + repr(settings) + str(settings)
    assert "s3cr3t" not in text and "hunter2" not in repr(shown)


def test_debug_shows_the_traceback(app_state: AppState) -> None:
    app_state.settings.resolved().analytics_db.write_bytes(b"garbage")
    plain = run_cli("create-backup", env=app_state.env())
    debug = run_cli("create-backup", "--debug", env=app_state.env())
    assert plain.returncode == debug.returncode == 1
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr and "neither a SQLite nor a DuckDB" in debug.stderr
