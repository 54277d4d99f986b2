"""Off-site copies on the panel: the remote's health card and where each backup exists.

Reading the remote's listing costs network round trips, and Streamlit reruns the page on every
click. So the listing is read once per browser session in a background thread, kept in session
state, and read again only on "Check off-site again" or after a run that changed the remote
(create, push, remote clean-up). A render waits for a fresh check at most WAIT_SECONDS; after
that the page draws "checking" and a small fragment redraws it when the answer arrives.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import streamlit as st

from panel.jobs import LAST_KEY
from persistence import service
from persistence.core.display import components_summary, human_age, human_bytes, human_time

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from persistence.core.settings import BackupSettings
    from persistence.service import RemoteBackupSummary, RemoteOverview

CHECK_KEY = "panel_offsite_check"
REFRESH_KEY = "panel_offsite_refresh_asked"
SEEN_KEY = "panel_offsite_seen_run"  # the finished run whose effect the listing already shows
WAIT_SECONDS = 1.5
TIMEOUT_SECONDS = 5.0  # per request on the remote; the service gives up after about twice this
CHANGING_KINDS = ("create", "push")  # finished jobs after which the remote may have changed
LOCATION_COLUMN = "Where"


class Location(StrEnum):
    THIS_DISK = "this disk"
    OFF_SITE = "off-site"
    BOTH = "both"
    UNKNOWN = "this disk · off-site unknown"
    OFF_SITE_INCOMPLETE = "off-site, incomplete"


@dataclass
class _Check:
    """One read of the remote, running or done; the thread never touches Streamlit."""

    key: str  # BACKUP_REMOTE as set: a changed setting needs a new check
    previous: RemoteOverview | None  # shown while this check runs, so the table does not flicker
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _result: RemoteOverview | None = None
    _error: str | None = None

    def start(self, settings: BackupSettings) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(settings,), daemon=True)
        thread.start()
        return thread

    def _run(self, settings: BackupSettings) -> None:
        try:
            overview = service.remote_overview(settings, timeout_seconds=TIMEOUT_SECONDS)
        except Exception as exc:  # a bug must not leave the card "checking" for ever
            with self._lock:
                self._error = f"unexpected error ({type(exc).__name__})"
            return
        with self._lock:
            self._result = overview

    @property
    def done(self) -> bool:
        with self._lock:
            return self._result is not None or self._error is not None

    def state(self) -> OffsiteState:
        with self._lock:
            return OffsiteState(
                checking=self._result is None and self._error is None,
                overview=self._result or self.previous,
                error=self._error,
                seconds=time.monotonic() - self.started,
            )


@dataclass(frozen=True)
class OffsiteState:
    checking: bool
    overview: RemoteOverview | None  # the newest answer, possibly from the previous check
    error: str | None  # the check itself broke (not: the remote is unreachable)
    seconds: float  # since the current check started


def _current() -> _Check | None:
    check: object = st.session_state.get(CHECK_KEY)
    return check if isinstance(check, _Check) else None


def ask_refresh() -> None:
    """Read the remote again on the next render (a button callback, or after a remote change)."""
    st.session_state[REFRESH_KEY] = True


def _finished_run_changed_remote() -> bool:
    """True once per finished create or push job: its result may have changed the remote."""
    view: object = st.session_state.get(LAST_KEY)
    kind = getattr(view, "kind", None)
    if view is None or kind not in CHANGING_KINDS or st.session_state.get(SEEN_KEY) is view:
        return False
    st.session_state[SEEN_KEY] = view
    return True


def offsite_state(settings: BackupSettings) -> OffsiteState | None:
    """The remote's listing for this session (None when BACKUP_REMOTE is not set)."""
    if settings.remote is None:
        st.session_state.pop(CHECK_KEY, None)
        return None
    check = _current()
    asked = st.session_state.pop(REFRESH_KEY, False) is True
    changed = _finished_run_changed_remote()
    wanted = asked or changed
    if wanted and check is not None and not check.done:
        st.session_state[REFRESH_KEY] = True  # read again once the running check has answered
    if check is None or check.key != settings.remote or (wanted and check.done):
        previous = check.state().overview if check and check.key == settings.remote else None
        check = _Check(key=settings.remote, previous=previous)
        st.session_state[CHECK_KEY] = check
        check.start(settings).join(WAIT_SECONDS)
    return check.state()


def cached_offsite_state() -> OffsiteState | None:
    """The state `offsite_state` read earlier in this render, without starting a check."""
    check = _current()
    return check.state() if check is not None else None


def location_of(backup_id: str, state: OffsiteState | None) -> Location:
    if state is None:
        return Location.THIS_DISK
    overview = state.overview
    if overview is None or not overview.reachable:
        return Location.UNKNOWN
    return Location.BOTH if backup_id in overview.complete_ids else Location.THIS_DISK


def with_location(rows: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """The backups table's rows with a "Where" column, plus rows for off-site-only backups.

    Rows keep their own columns; off-site-only rows fill the ones this module knows and "—"
    for the others, so the table's shape does not depend on this module.
    """
    state = cached_offsite_state()
    if state is None:  # no BACKUP_REMOTE: the table stays as it was
        return [dict(row) for row in rows]
    out = [
        {**row, LOCATION_COLUMN: location_of(str(row.get("Backup")), state).value} for row in rows
    ]
    overview = state.overview
    if overview is None or not overview.reachable:
        return out
    local = {str(row.get("Backup")) for row in rows}
    columns = list(out[0]) if out else ["Backup", LOCATION_COLUMN]
    for item in reversed(overview.backups):
        if item.backup_id not in local:
            out.append(_remote_row(item, columns))
    return out


def _remote_row(item: RemoteBackupSummary, columns: list[str]) -> dict[str, object]:
    known: dict[str, object] = {
        "Backup": item.backup_id,
        "Created": human_time(item.created_at),
        "Age": human_age(item.created_at),
        "Size": human_bytes(item.size_bytes),
        "Components": (
            components_summary(item.components) if item.valid else f"incomplete: {item.problem}"
        ),
        "Verified": human_age(item.verified_at) if item.verified_at else "not yet",
        LOCATION_COLUMN: (Location.OFF_SITE if item.valid else Location.OFF_SITE_INCOMPLETE).value,
    }
    return {column: known.get(column, "—") for column in columns}


@st.fragment(run_every=1.0)
def _wait_for_check() -> None:
    """While the remote is being read, look every second and redraw the page when it answered."""
    check = _current()
    if check is None or check.done:
        st.rerun(scope="app")


def draw_offsite_health(settings: BackupSettings) -> None:
    """The remote's health card (nothing when BACKUP_REMOTE is not set)."""
    state = offsite_state(settings)
    if state is None:
        return
    with st.container(border=True):
        st.caption("Off-site copies")
        _draw_card_body(state)
        st.button(
            "Check off-site again",
            type="tertiary",
            icon=":material/refresh:",
            on_click=ask_refresh,
            disabled=state.checking,
            help="Read the remote's list of backups again (otherwise read once per visit).",
            key="panel_offsite_refresh",
        )
    if state.checking:
        _wait_for_check()


def _draw_card_body(state: OffsiteState) -> None:
    overview = state.overview
    if state.error is not None:
        st.markdown(":red[**Could not check**]")
        st.error(f"Checking the off-site copy failed: {state.error}", icon=":material/error:")
        return
    if overview is None:
        st.markdown(f":gray[**Checking…**] ({state.seconds:.0f} s)")
        return
    if not overview.reachable:
        st.markdown(f":red[**Unreachable**] · {overview.remote}")
        st.warning(
            f"The off-site copy cannot be reached: {overview.error}. The table shows the "
            "backups on this disk only; pushing will fail until it is reachable again.",
            icon=":material/cloud_off:",
        )
        return
    newest = overview.newest
    count = len(overview.complete_ids)
    noun = "backup" if count == 1 else "backups"
    st.markdown(f":green[**Reachable**] · {overview.remote} · {count} complete {noun}")
    if newest is None:
        st.caption("No complete backup off-site yet: use Push now on a backup below.")
    else:
        st.markdown(
            f"Newest off-site: **{newest.backup_id}** · {human_time(newest.created_at)} "
            f"(**{human_age(newest.created_at)}**)"
        )
    checked = f"checked {human_age(overview.checked_at)}"
    st.caption(checked + (" · checking again…" if state.checking else ""))
