"""Settings built in code for tests that call the engine directly (no environment, no .env)."""

from __future__ import annotations

from pathlib import Path

from persistence.core.settings import BackupSettings


def settings_for(
    url: str | None = None, *, data: Path | None = None, **overrides: object
) -> BackupSettings:
    """Qdrant at `url` (None: no server), the app's state under `data` (None: the default,
    `data` under the test's own working folder), every collection, short timeouts."""
    values: dict[str, object] = {
        "backup_dir": None,
        "qdrant_url": url,
        "qdrant_api_key": None,
        "qdrant_path": None,
        "qdrant_collections": "all",
        "qdrant_timeout": 10.0,
        "qdrant_download_deadline": 30.0,
        "qdrant_delete_server_snapshot": True,
        "include_logs": False,
        "lock_timeout": 5.0,
    }
    if data is not None:
        values["data_dir"] = data
    values.update(overrides)
    return BackupSettings(**values)  # type: ignore[arg-type]  # validated by pydantic
