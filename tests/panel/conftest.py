"""Fixtures for the panel tests: the app under AppTest, pointed at a tmp data root."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import AppState
from tests.qdrant_standin.fixtures import qdrant_standin  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "src" / "app.py"
JOB_KEY = "panel_job"


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def panel_env(app_state: AppState, monkeypatch: pytest.MonkeyPatch) -> AppState:
    """The panel's settings come from the environment, as when a user starts it."""
    monkeypatch.setenv("BACKUP_DATA_DIR", str(app_state.data_dir))
    return app_state


@pytest.fixture
def panel() -> Iterator[AppTest]:
    app = AppTest.from_file(str(APP), default_timeout=30)
    yield app
    wait_for_job(app, rerun=False)


def wait_for_job(app: AppTest, *, timeout: float = 60, rerun: bool = True) -> None:
    """Rerun the page (as its polling fragment would) until the session's job has finished."""
    deadline = time.monotonic() + timeout
    while JOB_KEY in app.session_state:
        job = app.session_state[JOB_KEY]
        if not job.running:
            break
        if time.monotonic() > deadline:
            raise AssertionError("the panel's job did not finish in time")
        time.sleep(0.05)
        if rerun:
            app.run()
    if rerun:
        app.run()


def texts(elements: Callable[[], object] | object) -> list[str]:
    """The `.value` of every element in an AppTest element list, as strings."""
    return [str(getattr(e, "value", "")) for e in elements]  # type: ignore[attr-defined]
