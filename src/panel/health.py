"""The health row at the top of the panel: backup age, last run, Qdrant, disk."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from panel.ui import browser_time
from persistence import service
from persistence.core.display import (
    backup_health,
    health_sentence,
    human_age,
    human_bytes,
)
from persistence.core.errors import BackupError
from persistence.service import QdrantMode

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from persistence.core.settings import BackupSettings
    from persistence.service import QdrantHealth, RunRecord, StatusReport

QDRANT_KEY = "panel_qdrant_health"
QDRANT_TTL_SECONDS = 30.0
REFRESH_KEY = "panel_refresh_health"


@dataclass(frozen=True)
class _CachedHealth:
    key: str
    at: float
    health: QdrantHealth


@dataclass(frozen=True)
class PendingQdrant:
    """The Qdrant card and its warning line, left empty while the probe is under way."""

    card: DeltaGenerator
    warning: DeltaGenerator
    key: str
    probe: Future[QdrantHealth]


# A probe waits on the network (and first loads the HTTP client): on its own thread the rest
# of the page is drawn and usable meanwhile, and the card is filled in when it answers.
_PROBES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="panel-qdrant-probe")
# The probe under way per Qdrant, shared by every rerun and session: a render cut short (a
# click, `st.rerun`) leaves its probe running, and the next one joins it instead of queueing
# a new probe behind it (five quick clicks on a slow server made the page wait 3.7 s, not 1).
_IN_FLIGHT: dict[str, Future[QdrantHealth]] = {}
_IN_FLIGHT_LOCK = threading.Lock()


def _probe(settings: BackupSettings) -> Future[QdrantHealth]:
    key = _probe_key(settings)
    with _IN_FLIGHT_LOCK:
        running = _IN_FLIGHT.get(key)
        if running is not None and not running.done():
            return running
        probe = _PROBES.submit(service.qdrant_health, settings)
        _IN_FLIGHT[key] = probe
        return probe


def _cached_qdrant_health(settings: BackupSettings, *, refresh: bool) -> QdrantHealth | None:
    """The last probe's answer if younger than 30 s in this browser session (every click
    reruns the page), else None."""
    cached: object = st.session_state.get(QDRANT_KEY)
    if (
        not refresh
        and isinstance(cached, _CachedHealth)
        and cached.key == _probe_key(settings)
        and time.monotonic() - cached.at < QDRANT_TTL_SECONDS
    ):
        return cached.health
    return None


def _probe_key(settings: BackupSettings) -> str:
    return f"{settings.qdrant_url}|{settings.qdrant_path}"


def finish_qdrant_card(pending: PendingQdrant | None) -> None:
    """Wait for the probe `draw_health` started and draw its answer in the card's place."""
    if pending is None:
        return
    try:
        health = pending.probe.result()
    except BackupError as exc:
        with pending.card.container():
            _card("Qdrant", ":red[**Unknown**]", exc.message)
        return
    st.session_state[QDRANT_KEY] = _CachedHealth(pending.key, time.monotonic(), health)
    with pending.card.container():
        _draw_qdrant(health)
    _warn_if_unreachable(pending.warning, health)


def _warn_if_unreachable(slot: DeltaGenerator, health: QdrantHealth) -> None:
    if health.mode is QdrantMode.SERVER and not health.reachable:
        slot.warning(f"Qdrant is not reachable: {health.error}", icon=":material/warning:")


def _card(title: str, headline: str, detail: str) -> None:
    with st.container(border=True, height="stretch"):
        st.caption(title)
        st.markdown(headline)
        if detail:
            st.caption(detail)


def _ask_refresh() -> None:
    st.session_state[REFRESH_KEY] = True


def draw_health(
    settings: BackupSettings, status: StatusReport, *, show_run_error: bool = True
) -> PendingQdrant | None:
    """The health row. Qdrant's card shows the cached answer, or stays empty until
    `finish_qdrant_card` (called at the end of the page) draws the answer of a fresh probe."""
    refresh = st.session_state.pop(REFRESH_KEY, False) is True
    qdrant = _cached_qdrant_health(settings, refresh=refresh)
    probe = None if qdrant is not None else _probe(settings)
    columns = st.columns(4)

    with columns[0]:
        _draw_last_success(settings, status)
    run = status.last_run
    with columns[1]:
        _draw_last_run(run)
    with columns[2]:
        card = st.empty()
        with card.container():
            if qdrant is not None:
                _draw_qdrant(qdrant)
            else:
                _card("Qdrant", ":gray[**Checking…**]", "")

    with columns[3]:
        _draw_disk(status)

    if show_run_error and run is not None and not run.ok and run.error:
        st.error(f"The last backup run failed: {run.error}", icon=":material/error:")
    warning = st.empty()
    if qdrant is not None:
        _warn_if_unreachable(warning, qdrant)
    st.button(
        "Check again",
        type="tertiary",
        icon=":material/refresh:",
        on_click=_ask_refresh,
        help="Probe Qdrant again now (otherwise every 30 s) and re-read the backup folder.",
        key="panel_refresh",
    )
    if probe is None:
        return None
    return PendingQdrant(card, warning, _probe_key(settings), probe)


def _draw_last_success(settings: BackupSettings, status: StatusReport) -> None:
    level = backup_health(status.last_success_at, settings.expected_interval_hours)
    age = human_age(status.last_success_at) if status.last_success_at else "never"
    detail = health_sentence(level, settings.expected_interval_hours)
    if status.last_success_at:
        detail = f"{browser_time(status.last_success_at)} · {detail}"
    _card("Last successful backup", f":{level.colour}[{level.icon} **{age}**]", detail)


def _draw_last_run(run: RunRecord | None) -> None:
    if run is None:
        _card("Last run", ":gray[**No run yet**]", "")
    elif run.ok:
        _card("Last run", ":green[**Succeeded**]", f"finished {human_age(run.finished_at)}")
    else:
        _card("Last run", ":red[**Failed**]", f"finished {human_age(run.finished_at)}")


def _draw_disk(status: StatusReport) -> None:
    noun = "backup" if status.backup_count == 1 else "backups"
    _card(
        "Disk",
        f"**{human_bytes(status.backups_bytes)}** in {status.backup_count} {noun}",
        f"{human_bytes(status.free_bytes)} free on the backup disk",
    )


def _draw_qdrant(qdrant: QdrantHealth) -> None:
    if qdrant.mode is QdrantMode.NOT_CONFIGURED:
        _card("Qdrant", ":gray[**Not configured**]", "set QDRANT_URL or QDRANT_PATH")
    elif qdrant.mode is QdrantMode.EMBEDDED:
        _card("Qdrant", ":blue[**Embedded**]", qdrant.describe().removeprefix("embedded "))
    elif qdrant.reachable:
        names = ", ".join(qdrant.collections) or "no collections"
        _card("Qdrant", f":green[**Reachable**] · v{qdrant.version}", names)
    else:
        _card("Qdrant", ":red[**Unreachable**]", qdrant.where or "")
