"""One file of a backup, read for a download: only a file the manifest lists, never a path
the caller makes up, and checked against its recorded hash before it is handed out."""

from __future__ import annotations

import hashlib

from persistence.core.errors import ConfigError, VerificationError
from persistence.core.paths import check_paths, join_inside
from persistence.core.settings import BackupSettings
from persistence.store.catalog import find_backup

# A download is held in memory by the panel: larger files are restored, not downloaded.
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024


def backup_file_bytes(settings: BackupSettings, backup_id: str, component: str, path: str) -> bytes:
    backup = find_backup(check_paths(settings).backup_dir, backup_id, latest=False)
    record = backup.manifest.component(component)
    entry = next((f for f in record.files if f.path == path), None) if record else None
    if entry is None or entry.kind != "file":
        raise ConfigError(f"{component}/{path} is not a file of {backup_id}")
    if entry.size > MAX_DOWNLOAD_BYTES:
        raise ConfigError(
            f"{component}/{path} is {entry.size} bytes: too large to download here; restore it"
        )
    data = join_inside(backup.path / component, path).read_bytes()
    if entry.sha256 is not None and hashlib.sha256(data).hexdigest() != entry.sha256:
        raise VerificationError(
            f"{component}/{path} in {backup_id} does not match its recorded hash: it is damaged"
        )
    return data
