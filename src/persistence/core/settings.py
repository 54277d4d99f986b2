"""Settings from the environment, an optional `.env`, and command-line overrides.

The environment names are a public contract: scripts and container images set them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator

from persistence.core.codec import Compression, parse_compression
from persistence.core.environment import values_from_environment
from persistence.core.limits import MAX_DAYS

ALL_COLLECTIONS = "all"
SchedulerName = Literal["systemd", "cron", "launchd", "schtasks"]
SECRET_FIELDS = frozenset({"qdrant_api_key", "notify_url", "notify_webhook"})


class BackupSettings(BaseModel):
    """Every setting; `load_settings` fills it from the environment and `.env`."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        frozen=True,
        allow_inf_nan=False,
    )

    data_dir: Path = Field(default=Path("data"), validation_alias="BACKUP_DATA_DIR")
    backup_dir: Path | None = Field(default=None, validation_alias="BACKUP_DIR")
    cache_db: Path | None = Field(default=None, validation_alias="BACKUP_CACHE_DB")
    storage_dir: Path | None = Field(default=None, validation_alias="BACKUP_STORAGE_DIR")
    uploads_dir: Path | None = Field(default=None, validation_alias="BACKUP_UPLOADS_DIR")
    analytics_db: Path | None = Field(default=None, validation_alias="BACKUP_ANALYTICS_DB")
    logs_dir: Path | None = Field(default=None, validation_alias="BACKUP_LOGS_DIR")
    include_logs: bool = Field(default=False, validation_alias="BACKUP_INCLUDE_LOGS")
    keep_last: int = Field(default=7, ge=1, validation_alias="BACKUP_KEEP_LAST")
    keep_undo: int = Field(default=2, ge=0, validation_alias="BACKUP_KEEP_UNDO")
    retention_days: float | None = Field(
        default=None, gt=0, le=MAX_DAYS, validation_alias="BACKUP_RETENTION_DAYS"
    )
    # Calendar retention (Borg's prune): keep the newest backup of each of the last N
    # hours/days/weeks/months/years that have one; 0 turns a rule off.
    keep_hourly: int = Field(default=0, ge=0, validation_alias="BACKUP_KEEP_HOURLY")
    keep_daily: int = Field(default=0, ge=0, validation_alias="BACKUP_KEEP_DAILY")
    keep_weekly: int = Field(default=0, ge=0, validation_alias="BACKUP_KEEP_WEEKLY")
    keep_monthly: int = Field(default=0, ge=0, validation_alias="BACKUP_KEEP_MONTHLY")
    keep_yearly: int = Field(default=0, ge=0, validation_alias="BACKUP_KEEP_YEARLY")
    # Hard-link unchanged files from the newest complete backup (`--full` overrides per run).
    incremental: bool = Field(default=True, validation_alias="BACKUP_INCREMENTAL")
    # none, zstd or zstd:LEVEL: database copies and Qdrant snapshots stored zstd-compressed.
    compression: str = Field(default="none", validation_alias="BACKUP_COMPRESSION")
    lock_timeout: float = Field(default=30.0, ge=0, validation_alias="BACKUP_LOCK_TIMEOUT")
    # Extra roots (comma separated) that sources and the backup root may live under.
    allowed_roots: str = Field(default="", validation_alias="BACKUP_ALLOWED_ROOTS")
    # How often the panel expects a backup; older ones turn its health badge amber, then red.
    expected_interval_hours: float = Field(
        default=24.0, gt=0, le=MAX_DAYS * 24, validation_alias="BACKUP_EXPECTED_INTERVAL_HOURS"
    )
    # `schedule install`: which scheduler (unset: the system's own), and the crontab tool.
    scheduler: SchedulerName | None = Field(default=None, validation_alias="BACKUP_SCHEDULER")
    crontab_command: str = Field(default="crontab", validation_alias="BACKUP_CRONTAB_COMMAND")
    # Run notifications. Secrets: a ping URL is a credential, so is a chat webhook.
    notify_url: SecretStr | None = Field(default=None, validation_alias="BACKUP_NOTIFY_URL")
    notify_webhook: SecretStr | None = Field(default=None, validation_alias="BACKUP_NOTIFY_WEBHOOK")

    # Off-site copies (docs/specs/remote.md): parsed and checked where a command uses it.
    remote: str | None = Field(default=None, validation_alias="BACKUP_REMOTE")
    remote_keep_last: int | None = Field(
        default=None, ge=1, validation_alias="BACKUP_REMOTE_KEEP_LAST"
    )
    remote_retention_days: float | None = Field(
        default=None, gt=0, le=MAX_DAYS, validation_alias="BACKUP_REMOTE_RETENTION_DAYS"
    )
    push_after_create: bool = Field(default=False, validation_alias="BACKUP_PUSH_AFTER_CREATE")

    qdrant_url: str | None = Field(default=None, validation_alias="QDRANT_URL")
    qdrant_api_key: SecretStr | None = Field(default=None, validation_alias="QDRANT_API_KEY")
    qdrant_collections: str = Field(
        default=ALL_COLLECTIONS,
        validation_alias=AliasChoices("QDRANT_COLLECTIONS", "QDRANT_COLLECTION_NAME"),
    )
    qdrant_path: Path | None = Field(default=None, validation_alias="QDRANT_PATH")
    qdrant_timeout: float = Field(default=300.0, gt=0, validation_alias="QDRANT_TIMEOUT")
    qdrant_download_deadline: float = Field(
        default=3600.0, gt=0, validation_alias="QDRANT_DOWNLOAD_DEADLINE"
    )
    # How long a snapshot may take to appear on the server after its create was asked for
    # (a create outlives the request's QDRANT_TIMEOUT on big collections).
    qdrant_snapshot_deadline: float = Field(
        default=3600.0, gt=0, validation_alias="QDRANT_SNAPSHOT_DEADLINE"
    )
    qdrant_delete_server_snapshot: bool = Field(
        default=True, validation_alias="QDRANT_DELETE_SERVER_SNAPSHOT"
    )
    qdrant_snapshot_on_start: bool = Field(
        default=False, validation_alias="QDRANT_SNAPSHOT_ON_START"
    )
    qdrant_snapshot_dir: Path | None = Field(default=None, validation_alias="QDRANT_SNAPSHOT_DIR")

    @field_validator("scheduler", "notify_url", "notify_webhook", "remote", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("notify_url", "notify_webhook")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never quotes the value: it is a secret.
        if value is not None:
            parsed = urlsplit(value.get_secret_value().strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError("expected an http:// or https:// URL")
            return SecretStr(value.get_secret_value().strip())
        return value

    @field_validator("compression")
    @classmethod
    def _known_compression(cls, value: str) -> str:
        parse_compression(value)
        return value.strip().lower()

    def compression_spec(self) -> Compression:
        return parse_compression(self.compression)

    @field_validator("qdrant_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str):
            # A cluster: every node's REST URL, comma-separated.
            urls = [part.strip() for part in value.split(",") if part.strip()]
            for url in urls:
                try:
                    parsed = urlsplit(url)
                    _ = parsed.port  # raises on a malformed port
                except ValueError as exc:
                    raise ValueError(f"not a valid URL ({exc})") from None
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    raise ValueError("expected http://host:port or https://host:port")
            return ",".join(urls)
        return value

    def qdrant_urls(self) -> list[str]:
        """QDRANT_URL as a list: one URL for a single node, every node's for a cluster."""
        return self.qdrant_url.split(",") if self.qdrant_url else []

    def collection_names(self) -> list[str] | None:
        """The configured collections, or None for every collection the server lists."""
        names = [part.strip() for part in self.qdrant_collections.split(",") if part.strip()]
        if not names or names == [ALL_COLLECTIONS]:
            return None
        return names

    def resolved(self) -> ResolvedPaths:
        """Absolute paths, relative ones taken against the data root (itself against the cwd)."""
        data = self.data_dir.expanduser().absolute()

        def under_data(value: Path | None, default: str) -> Path:
            path = (value if value is not None else Path(default)).expanduser()
            return path if path.is_absolute() else data / path

        extra = tuple(
            under_data(Path(part.strip()), ".")
            for part in self.allowed_roots.split(",")
            if part.strip()
        )
        return ResolvedPaths(
            data_dir=data,
            backup_dir=under_data(self.backup_dir, "backups"),
            cache_db=under_data(self.cache_db, "cache/cache.db"),
            storage_dir=under_data(self.storage_dir, "storage"),
            uploads_dir=under_data(self.uploads_dir, "uploads"),
            analytics_db=under_data(self.analytics_db, "analytics/analytics.duckdb"),
            logs_dir=under_data(self.logs_dir, "logs"),
            qdrant_path=under_data(self.qdrant_path, ".") if self.qdrant_path else None,
            qdrant_snapshot_dir=(
                under_data(self.qdrant_snapshot_dir, ".") if self.qdrant_snapshot_dir else None
            ),
            allowed_roots=(data, *extra),
        )

    def redacted(self) -> dict[str, str | None]:
        """The settings as recorded in a manifest or shown on screen: secrets never appear."""
        shown: dict[str, str | None] = {}
        for name, value in self.model_dump().items():
            if name in SECRET_FIELDS:
                shown[name] = "set" if value is not None else "not set"
            elif name in ("qdrant_url", "remote") and isinstance(value, str):
                shown[name] = redact_url(value)
            else:
                shown[name] = None if value is None else str(value)
        return shown


def redact_url(url: str) -> str:
    """Drop any user:password@ part so a URL (or a comma list of them) can be shown."""
    if "," in url:
        return ",".join(redact_url(part) for part in url.split(","))
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host_part, slash, path = rest.partition("/")
    if "@" in host_part:
        host_part = "***@" + host_part.rsplit("@", 1)[1]
    return f"{scheme}://{host_part}{slash}{path}"


@dataclass(frozen=True)
class ResolvedPaths:
    data_dir: Path
    backup_dir: Path
    cache_db: Path
    storage_dir: Path
    uploads_dir: Path
    analytics_db: Path
    logs_dir: Path
    qdrant_path: Path | None
    qdrant_snapshot_dir: Path | None
    allowed_roots: tuple[Path, ...]


def load_settings(**overrides: object) -> BackupSettings:
    """Build settings; keyword overrides (from CLI flags) win over the environment."""
    given = {key: value for key, value in overrides.items() if value is not None}
    values: dict[str, object] = {**values_from_environment(BackupSettings.model_fields), **given}
    return BackupSettings.model_validate(values)
