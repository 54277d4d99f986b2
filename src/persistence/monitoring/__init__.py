"""Monitoring: the health of a data root's backups (`status`) and run notifications."""

from persistence.monitoring.notify import (
    Notifier,
    PingEvent,
    RunNotifications,
    ping_address,
    summary_line,
)
from persistence.monitoring.status import (
    BackupState,
    HealthStatus,
    NewestBackup,
    RemoteNewest,
    RemoteProbe,
    compute_status,
)

__all__ = [
    "BackupState",
    "HealthStatus",
    "NewestBackup",
    "Notifier",
    "PingEvent",
    "RemoteNewest",
    "RemoteProbe",
    "RunNotifications",
    "compute_status",
    "ping_address",
    "summary_line",
]
