"""Issue 13 items 9, 10 and 12: one JSON document, one line, no credential in any output."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from persistence.core.redact import redact
from tests.conftest import AppState
from tests.harden.support import one_line
from tests.support.cli import run_cli

COMMANDS = [
    ("create-backup",),
    ("list-backups",),
    ("prune-backups",),
    ("verify-backup", "--latest"),
    ("restore-backup", "--latest"),
    ("snapshot",),
]


def _json_failure(proc_stdout: str, code: int) -> None:
    document = json.loads(proc_stdout)  # exactly one document: extra text would not parse
    assert isinstance(document, dict)
    assert document["ok"] is False and document["exit_code"] == code and document["error"]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_failure_path_prints_one_json_document(
    app_state: AppState, command: tuple[str, ...]
) -> None:
    cases = {
        "usage": (app_state.env(), ("--no-such-flag",)),
        "invalid setting": (app_state.env(BACKUP_LOCK_TIMEOUT="soon"), ()),
        "unsafe path": (app_state.env(BACKUP_DIR="/var/tmp/elsewhere-backups"), ()),
    }
    for label, (env, extra) in cases.items():
        proc = run_cli(*command, "--json", *extra, env=env)
        assert proc.returncode == 2, (label, proc.stdout, proc.stderr)
        _json_failure(proc.stdout, 2)
        assert "Traceback" not in proc.stderr
        one_line(proc.stderr)


def test_messages_a_person_reads(app_state: AppState) -> None:
    bad_url = run_cli("create-backup", env=app_state.env(QDRANT_URL="notaurl"))
    assert bad_url.returncode == 2
    assert "Value error" not in one_line(bad_url.stderr) and "QDRANT_URL" in bad_url.stderr
    neither = run_cli("verify-backup", env=app_state.env())
    assert neither.returncode == 2 and "--all" in one_line(neither.stderr)
    unreachable = run_cli(
        "create-backup", "--no-prune", env=app_state.env(QDRANT_URL="http://127.0.0.1:9")
    )
    assert unreachable.returncode == 1
    everything = unreachable.stdout + unreachable.stderr
    assert everything.count("Connection refused") == 1, everything
    assert "--no-qdrant" in one_line(unreachable.stderr)


class _EchoingServer(BaseHTTPRequestHandler):
    """A server that quotes the request's credentials back in its error text."""

    def do_GET(self) -> None:
        echoed = f"bad request; got Authorization: {self.headers.get('Authorization')}, "
        echoed += f"api-key: {self.headers.get('api-key')}"
        body = json.dumps({"status": {"error": echoed}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def echoing_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_echoed_by_a_server_never_reach_any_output(
    app_state: AppState, echoing_server: int
) -> None:
    env = app_state.env(
        QDRANT_URL=f"http://alice:wonderland-pw@127.0.0.1:{echoing_server}",
        QDRANT_API_KEY="key-0123456789abcdef",
    )
    for args in (("create-backup", "--no-prune"), ("create-backup", "--json", "--no-prune")):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 1, proc.stderr
        assert "HTTP 500" in proc.stdout + proc.stderr  # the server's text did reach us
        printed = proc.stdout + proc.stderr + (app_state.backup_dir / "runs.json").read_text()
        for secret in ("wonderland-pw", "key-0123456789abcdef", "YWxpY2U6d29uZGVybGFuZC1wdw"):
            assert secret not in printed, printed


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("proxy-authorization=Bearer eyJhbGciOi.x-y", "eyJhbGciOi"),
        ('{"api-key": "k-123456"}', "k-123456"),
        ("X-Api-Key=zzz999zzz, next", "zzz999zzz"),
        ("GET https://u:p4ss@host:6333/collections", "p4ss"),
        ("https://bucket.s3/x?X-Amz-Signature=abc123&X-Amz-Credential=AKIA", "abc123"),
        ("password=hunter22 and more", "hunter22"),
    ],
)
def test_redact_masks_every_credential_form(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "***" in redact(text)


def test_redact_leaves_ordinary_words() -> None:
    text = "basic idea: the bearer of news has a key role; see https://example.com/x?y=1"
    assert redact(text) == text
