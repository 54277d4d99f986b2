"""Run notifications: healthchecks.io-style pings and a JSON webhook.

A notification never decides a run's outcome: every failure (refused, hanging, HTTP error)
becomes a warning, and each request is bounded by a short timeout. The URLs are secrets
(ping URLs are credentials by design), so no message here ever contains one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from persistence.core.display import human_bytes
from persistence.core.results import CreateResult, RunResult
from persistence.core.settings import BackupSettings

# A notification may delay a run by a few seconds at most, never hang it.
NOTIFY_TIMEOUT_SECONDS = 3.0
# healthchecks.io keeps the first 100 kB of a ping body; an error line is far shorter.
MAX_BODY_CHARS = 1000


class PingEvent(StrEnum):
    START = "start"
    SUCCESS = "success"
    FAIL = "fail"


def ping_address(url: str, event: PingEvent) -> str:
    """`<url>/start`, `<url>` or `<url>/fail` (the healthchecks.io protocol)."""
    if event is PingEvent.SUCCESS:
        return url
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/" + event.value
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def summary_line(result: CreateResult) -> str:
    """The ping body: backup id, size and duration, or the error line."""
    if not result.ok:
        return (result.error or "create-backup failed")[:MAX_BODY_CHARS]
    total = sum(component.bytes for component in result.components)
    return f"{result.backup_id} · {human_bytes(total)} · {result.duration_seconds:.1f}s"


@dataclass(frozen=True)
class Notifier:
    ping_url: SecretStr | None = None  # BACKUP_NOTIFY_URL
    webhook_url: SecretStr | None = None  # BACKUP_NOTIFY_WEBHOOK
    timeout: float = NOTIFY_TIMEOUT_SECONDS

    @property
    def enabled(self) -> bool:
        return self.ping_url is not None or self.webhook_url is not None

    def started(self, what: str) -> list[str]:
        """Ping `<url>/start`; the warnings to add to the run's result."""
        if self.ping_url is None:
            return []
        return self._send(
            "BACKUP_NOTIFY_URL",
            ping_address(self.ping_url.get_secret_value(), PingEvent.START),
            what.encode(),
            "text/plain; charset=utf-8",
        )

    def finished(self, result: CreateResult) -> list[str]:
        """Ping success or fail with the summary, and post the whole result to the webhook."""
        warnings: list[str] = []
        if self.ping_url is not None:
            event = PingEvent.SUCCESS if result.ok else PingEvent.FAIL
            warnings += self._send(
                "BACKUP_NOTIFY_URL",
                ping_address(self.ping_url.get_secret_value(), event),
                summary_line(result).encode(),
                "text/plain; charset=utf-8",
            )
        if self.webhook_url is not None:
            warnings += self._send(
                "BACKUP_NOTIFY_WEBHOOK",
                self.webhook_url.get_secret_value(),
                result.model_dump_json().encode(),
                "application/json",
            )
        return warnings

    def _send(self, setting: str, url: str, body: bytes, content_type: str) -> list[str]:
        import httpx  # only runs that notify pay for the import

        try:
            with (
                _UrlHiddenFromLogs(url),
                httpx.Client(timeout=self.timeout, follow_redirects=True) as client,
            ):
                response = client.post(url, content=body, headers={"Content-Type": content_type})
        except httpx.TimeoutException:
            problem = f"no answer within {self.timeout:g}s"
        except httpx.ConnectError:
            problem = "could not connect"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            # The exception's own text can quote the URL: only its kind is shown.
            problem = type(exc).__name__
        else:
            if response.is_success:
                return []
            problem = f"answered HTTP {response.status_code}"
        return [f"notification ({setting}) failed: {problem}; the run itself is not affected"]


class _UrlHiddenFromLogs(logging.Filter):
    """httpx logs every request's URL at INFO (shown with --debug): drop those records."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._host = urlsplit(url).netloc
        self._loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]

    def filter(self, record: logging.LogRecord) -> bool:
        return self._host not in record.getMessage()

    def __enter__(self) -> None:
        for logger in self._loggers:
            logger.addFilter(self)

    def __exit__(self, *_exc: object) -> None:
        for logger in self._loggers:
            logger.removeFilter(self)


@dataclass
class RunNotifications:
    """The run wrapper's observer for one create run: pings, and the warnings they produced."""

    notifier: Notifier
    what: str  # the start ping's body
    warnings: list[str] = field(default_factory=list[str])

    @classmethod
    def for_settings(cls, settings: BackupSettings, what: str) -> RunNotifications | None:
        notifier = Notifier(ping_url=settings.notify_url, webhook_url=settings.notify_webhook)
        return cls(notifier, what) if notifier.enabled else None

    def run_started(self) -> None:
        self.warnings += self.notifier.started(self.what)

    def run_finished(self, result: RunResult) -> None:
        if isinstance(result, CreateResult):
            self.warnings += self.notifier.finished(result)

    def add_warnings(self, result: CreateResult) -> CreateResult:
        """The result with any notification trouble listed among its warnings."""
        if not self.warnings:
            return result
        return result.model_copy(update={"warnings": [*result.warnings, *self.warnings]})
