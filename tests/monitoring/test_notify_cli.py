"""create-backup with notifications, in its own process, against real 127.0.0.1 endpoints."""

from __future__ import annotations

import json

from persistence.monitoring.notify import NOTIFY_TIMEOUT_SECONDS
from tests.conftest import AppState
from tests.monitoring.conftest import SECRET_PATH, HangingServer, NotifyServer
from tests.support.cli import run_cli

SECRET = SECRET_PATH.rsplit("/", 1)[1]


def assert_no_url(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text and "secret-token" not in text


def test_success_pings_start_and_success_and_posts_the_result(
    app_state: AppState, notify_server: NotifyServer
) -> None:
    env = app_state.env(
        BACKUP_NOTIFY_URL=notify_server.ping_url, BACKUP_NOTIFY_WEBHOOK=notify_server.webhook_url
    )
    done = run_cli("create-backup", "--json", "--debug", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["warnings"] == []
    assert notify_server.paths() == [SECRET_PATH + "/start", SECRET_PATH, "/hook/secret-token"]
    start, success, hook = notify_server.received
    assert start.body.decode() == f"create-backup started for {app_state.data_dir}"
    assert success.body.decode().startswith(result["backup_id"] + " · ")
    assert json.loads(hook.body)["backup_id"] == result["backup_id"]
    assert_no_url(done.stdout, done.stderr)  # --debug logs included


def test_failure_pings_fail_with_the_error_line(
    app_state: AppState, notify_server: NotifyServer
) -> None:
    env = app_state.env(BACKUP_NOTIFY_URL=notify_server.ping_url, QDRANT_URL="http://127.0.0.1:9")
    done = run_cli("create-backup", "--json", env=env)
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert notify_server.paths() == [SECRET_PATH + "/start", SECRET_PATH + "/fail"]
    assert notify_server.received[1].body.decode() == result["error"]
    assert_no_url(done.stdout, done.stderr)


def create_json(app_state: AppState, **extra: str) -> tuple[dict[str, object], int]:
    done = run_cli("create-backup", "--json", env=app_state.env(**extra))
    assert_no_url(done.stdout, done.stderr)
    return json.loads(done.stdout), done.returncode


def test_hanging_endpoint_costs_at_most_its_timeout_and_never_fails_the_backup(
    app_state: AppState, hanging_server: HangingServer
) -> None:
    result, code = create_json(app_state, BACKUP_NOTIFY_URL=hanging_server.url)
    assert code == 0 and result["ok"] is True
    assert app_state.backups() == [result["backup_id"]]
    assert (
        result["warnings"]
        == [
            "notification (BACKUP_NOTIFY_URL) failed: no answer within "
            f"{NOTIFY_TIMEOUT_SECONDS:g}s; the run itself is not affected"
        ]
        * 2
    )
    # Measured where it happens: the server saw each request (start, success) held for the
    # timeout, then dropped; not a wall-clock race with the rest of a busy machine.
    assert len(hanging_server.held_seconds) == 2
    for held in hanging_server.held_seconds:
        assert NOTIFY_TIMEOUT_SECONDS - 0.3 <= held <= NOTIFY_TIMEOUT_SECONDS + 1.0


def test_refusing_endpoints_do_not_fail_the_backup(app_state: AppState, refused_url: str) -> None:
    result, code = create_json(
        app_state, BACKUP_NOTIFY_URL=refused_url, BACKUP_NOTIFY_WEBHOOK=refused_url
    )
    assert code == 0 and result["ok"] is True
    warnings = result["warnings"]
    assert isinstance(warnings, list) and len(warnings) == 3
    assert all("could not connect" in str(w) for w in warnings)


def test_a_notify_url_is_never_shown_in_settings(app_state: AppState) -> None:
    from persistence.core.settings import load_settings

    settings = load_settings(notify_url="https://hc-ping.com/" + SECRET)
    assert settings.redacted()["notify_url"] == "set"
    assert settings.redacted()["notify_webhook"] == "not set"
    bad = run_cli("status", env=app_state.env(BACKUP_NOTIFY_URL="ftp://x/" + SECRET))
    assert bad.returncode == 2
    assert "BACKUP_NOTIFY_URL" in bad.stderr
    assert_no_url(bad.stdout, bad.stderr)
