"""Every byte the CLI prints passes through here: credentials masked, failures one line.

The consoles, the JSON documents and the log handler all write to a `RedactingStream`, so a
secret echoed by a server, a library or an exception cannot reach a terminal or a cron mail
by a path nobody thought of.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from persistence.core.redact import one_line, redact

_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """A literal secret (the configured API key) to mask wherever it appears."""
    if value:
        _secrets.add(value)


def scrub(text: str) -> str:
    env_key = os.environ.get("QDRANT_API_KEY")
    return redact(text, {*_secrets, *([env_key] if env_key else [])})


class RedactingStream:
    """A text stream that masks credentials in everything written to it."""

    def __init__(self, name: str) -> None:
        self._name = name  # looked up at each write: test runners swap sys.stdout

    @property
    def _target(self) -> TextIO:
        stream: TextIO = getattr(sys, self._name)
        return stream

    def write(self, text: str) -> int:
        self._target.write(scrub(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:
        return self._target.encoding


stdout = RedactingStream("stdout")
stderr = RedactingStream("stderr")


def failure_document(message: str, exit_code: int) -> str:
    """The `--json` document of a run that ended before it had a result of its own."""
    body = {"ok": False, "error": one_line(message), "exit_code": exit_code}
    return json.dumps(body, indent=2) + "\n"


def print_failure_document(message: str, exit_code: int) -> None:
    stdout.write(failure_document(message, exit_code))
    stdout.flush()
