"""Notifications against real HTTP endpoints: pings with bodies, bounded cost, no URL leaks."""

from __future__ import annotations

import json
import time

from pydantic import SecretStr

from persistence.core.results import ComponentStatus, ComponentSummary, CreateResult
from persistence.monitoring import Notifier, PingEvent, ping_address
from tests.monitoring.conftest import SECRET_PATH, NotifyServer

SUCCESS = CreateResult(
    ok=True,
    backup_id="backup_20261130T030000_000000Z",
    duration_seconds=4.25,
    components=[
        ComponentSummary(name="storage", status=ComponentStatus.CAPTURED, bytes=3 * 1024 * 1024)
    ],
)
FAILURE = CreateResult(ok=False, error="cache_db: no room to write (No space left)", exit_code=1)


def test_ping_addresses_follow_healthchecks_protocol() -> None:
    assert ping_address("https://hc.example/abc", PingEvent.START) == "https://hc.example/abc/start"
    assert ping_address("https://hc.example/abc/", PingEvent.FAIL) == "https://hc.example/abc/fail"
    assert ping_address("https://hc.example/abc", PingEvent.SUCCESS) == "https://hc.example/abc"


def test_start_success_and_webhook(notify_server: NotifyServer) -> None:
    notifier = Notifier(
        ping_url=SecretStr(notify_server.ping_url),
        webhook_url=SecretStr(notify_server.webhook_url),
    )
    assert notifier.started("create-backup of /data") == []
    assert notifier.finished(SUCCESS) == []
    start, success, hook = notify_server.received
    assert (start.method, start.path) == ("POST", SECRET_PATH + "/start")
    assert start.body == b"create-backup of /data"
    assert (success.method, success.path) == ("POST", SECRET_PATH)
    body = success.body.decode()
    assert body.startswith("backup_20261130T030000_000000Z")
    assert "3.0 MiB" in body and "4.2s" in body
    assert hook.path == "/hook/secret-token"
    assert hook.content_type == "application/json"
    assert json.loads(hook.body)["backup_id"] == SUCCESS.backup_id


def test_failure_pings_fail_with_the_error_line(notify_server: NotifyServer) -> None:
    notifier = Notifier(ping_url=SecretStr(notify_server.ping_url))
    assert notifier.finished(FAILURE) == []
    (fail,) = notify_server.received
    assert fail.path == SECRET_PATH + "/fail"
    assert fail.body.decode() == FAILURE.error


def test_http_error_is_a_warning_without_the_url(notify_server: NotifyServer) -> None:
    notify_server.status_code = 500
    warnings = Notifier(ping_url=SecretStr(notify_server.ping_url)).finished(SUCCESS)
    assert warnings == [
        "notification (BACKUP_NOTIFY_URL) failed: answered HTTP 500; the run itself is not affected"
    ]


def test_refused_costs_nothing_and_names_no_url(refused_url: str) -> None:
    notifier = Notifier(ping_url=SecretStr(refused_url), webhook_url=SecretStr(refused_url))
    began = time.monotonic()
    warnings = notifier.started("x") + notifier.finished(SUCCESS)
    assert time.monotonic() - began < 2.0  # refused at once: far below one timeout (3 s)
    assert len(warnings) == 3
    assert all("could not connect" in w for w in warnings)
    assert not any("127.0.0.1" in w or "secret" in w for w in warnings)


def test_hanging_server_costs_at_most_its_timeout(hanging_url: str) -> None:
    notifier = Notifier(ping_url=SecretStr(hanging_url), timeout=0.5)
    began = time.monotonic()
    warnings = notifier.finished(SUCCESS)
    elapsed = time.monotonic() - began
    assert 0.45 <= elapsed < 2.5  # the timeout, plus slack for a busy machine
    assert warnings == [
        "notification (BACKUP_NOTIFY_URL) failed: no answer within 0.5s; "
        "the run itself is not affected"
    ]
