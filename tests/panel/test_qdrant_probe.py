"""The panel's Qdrant probe on its own thread.

Every rerun that ends before `finish_qdrant_card` (a click mid-render, `st.rerun`) leaves its
probe behind; the next render must not queue behind all of them on the two probe threads.
"""

from __future__ import annotations

import time

import pytest

from panel.health import draw_health, finish_qdrant_card
from persistence import service
from persistence.core.settings import load_settings
from tests.conftest import AppState
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault

PROBE_SECONDS = 1.0


def test_abandoned_probes_do_not_pile_up_before_the_next_render(
    app_state: AppState, qdrant_standin: QdrantStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    qdrant_standin.inject(Fault("GET", "/", delay_seconds=PROBE_SECONDS, times=10))
    monkeypatch.setenv("QDRANT_URL", qdrant_standin.url)
    settings = load_settings(data_dir=app_state.data_dir)
    status = service.status_report(settings)
    for _ in range(4):  # renders interrupted before the end of the page
        assert draw_health(settings, status) is not None
    started = time.monotonic()
    finish_qdrant_card(draw_health(settings, status))
    waited = time.monotonic() - started
    assert waited < 1.8 * PROBE_SECONDS, f"the last render waited {waited:.1f} s"
    probes = [r for r in qdrant_standin.requests if r.path == "/"]
    assert len(probes) <= 2, f"{len(probes)} probes for one server"
