"""The panel's schedule card (installed or not, next run, one button) and the backup alarm.

Everything goes through the service (`persistence.service`), like the CLI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import time as time_of_day
from typing import TYPE_CHECKING

import streamlit as st

from persistence import service
from persistence.core.display import human_age, human_time
from persistence.service import BackupState, Every

if TYPE_CHECKING:
    from persistence.core.settings import BackupSettings
    from persistence.service import ScheduleStatus, StatusReport

STATUS_KEY = "panel_schedule_status"
NOTICE_KEY = "panel_schedule_notice"
# Asking the scheduler runs a tool (systemctl, crontab); every click reruns the page.
STATUS_TTL_SECONDS = 30.0
EVERY_LABELS = {
    Every.DAILY: "every day",
    Every.TWELVE_HOURS: "every 12 hours",
    Every.SIX_HOURS: "every 6 hours",
    Every.HOURLY: "every hour",
    Every.WEEKLY: "every Monday",
}


@dataclass(frozen=True)
class _CachedStatus:
    key: str
    at: float
    status: ScheduleStatus


@dataclass(frozen=True)
class _Notice:
    ok: bool
    text: str


def draw_alarm(settings: BackupSettings, report: StatusReport) -> None:
    """Late and failing backups get a banner at the top of the page."""
    health = service.health_of_report(report, settings.expected_interval_hours)
    if health.state is BackupState.FAILING:
        st.error(f"**Backups are failing.** {health.reason}", icon=":material/error:")
    elif health.state is BackupState.LATE:
        st.warning(f"**Backups are late.** {health.reason}", icon=":material/schedule:")


def _cached_status(settings: BackupSettings) -> ScheduleStatus:
    key = str(settings.resolved().data_dir)
    cached: object = st.session_state.get(STATUS_KEY)
    now = time.monotonic()
    if (
        isinstance(cached, _CachedStatus)
        and cached.key == key
        and now - cached.at < STATUS_TTL_SECONDS
    ):
        return cached.status
    status = service.schedule_status(settings)
    st.session_state[STATUS_KEY] = _CachedStatus(key=key, at=now, status=status)
    return status


def _install(settings: BackupSettings) -> None:
    every = st.session_state.get("panel_schedule_every", Every.DAILY)
    at = st.session_state.get("panel_schedule_at", time_of_day(3, 0))
    chosen_at = at if isinstance(at, time_of_day) else time_of_day(3, 0)
    result = service.schedule_install(settings, every=Every(every).value, at=f"{chosen_at:%H:%M}")
    st.session_state.pop(STATUS_KEY, None)
    if result.ok and result.entry is not None:
        text = f"Automatic backups are on ({result.scheduler}): {result.entry.schedule}."
        st.session_state[NOTICE_KEY] = _Notice(True, " ".join([text, *result.warnings]))
    else:
        st.session_state[NOTICE_KEY] = _Notice(False, result.error or "install failed")


def _remove(settings: BackupSettings) -> None:
    result = service.schedule_remove(settings)
    st.session_state.pop(STATUS_KEY, None)
    if result.ok:
        st.session_state[NOTICE_KEY] = _Notice(True, "Automatic backups are off.")
    else:
        st.session_state[NOTICE_KEY] = _Notice(False, result.error or "remove failed")


def draw_schedule(settings: BackupSettings) -> None:
    status = _cached_status(settings)
    with st.container(border=True):
        st.caption("Automatic backups")
        entry = status.entry
        if entry is not None:
            when = human_time(entry.next_run) if entry.next_run else "not reported by scheduler"
            st.markdown(
                f":green[:material/event_repeat: **On**] · {entry.schedule} · {status.scheduler}"
            )
            st.caption(f"Next run: {when}. Last run: {_last_run(status)}")
            st.button("Turn off", on_click=_remove, args=(settings,), key="panel_schedule_remove")
        elif not status.ok:
            st.markdown(":orange[:material/event_busy: **Not available here**]")
            st.caption(status.error or "")
        else:
            st.markdown(
                ":orange[:material/event_busy: **Off**] · backups happen only when someone "
                "clicks Create"
                + (f" · turning it on uses {status.scheduler.value}" if status.scheduler else "")
            )
            left, right, button = st.columns([2, 1, 1], vertical_alignment="bottom")
            left.selectbox(
                "How often",
                list(EVERY_LABELS),
                format_func=lambda value: EVERY_LABELS[Every(value)],
                key="panel_schedule_every",
            )
            right.time_input("At", value=time_of_day(3, 0), key="panel_schedule_at")
            button.button(
                "Turn on",
                type="secondary",
                on_click=_install,
                args=(settings,),
                key="panel_schedule_install",
            )
    notice: object = st.session_state.pop(NOTICE_KEY, None)
    if isinstance(notice, _Notice):
        if notice.ok:
            st.success(notice.text, icon=":material/event_available:")
        else:
            st.error(notice.text, icon=":material/error:")


def _last_run(status: ScheduleStatus) -> str:
    run = status.last_run
    if run is None:
        return "none yet"
    return f"{'succeeded' if run.ok else 'failed'} {human_age(run.finished_at)}"
