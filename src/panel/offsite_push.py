"""Push now: upload the selected backup off-site as a background job with live progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from panel.actions import SELECTED_KEY
from panel.jobs import (
    Job,
    draw_progress,
    job_progress_fragment,
    job_running,
    last_result,
    start_job,
)
from panel.offsite import Location, cached_offsite_state, location_of
from persistence import service
from persistence.core.display import human_bytes, human_duration

if TYPE_CHECKING:
    from persistence.core.progress import ProgressCallback
    from persistence.core.settings import BackupSettings
    from persistence.service import PushRunResult

NOTICE_KEY = "panel_push_notice"


def _start_push(settings: BackupSettings, backup_id: str) -> None:
    def work(progress: ProgressCallback) -> service.RunResult:
        return service.push_backup(settings, backup_id, progress=progress)

    job = Job(kind="push", title=f"Pushing {backup_id} off-site", work=work, backup_id=backup_id)
    if not start_job(job):
        st.session_state[NOTICE_KEY] = "A run is already in progress in this window."


def draw_push(settings: BackupSettings, *, busy: bool) -> None:
    """The "Push now" button for the backup selected above (nothing without BACKUP_REMOTE)."""
    selected: object = st.session_state.get(SELECTED_KEY)
    if settings.remote is None or not isinstance(selected, str):
        return
    where = location_of(selected, cached_offsite_state())
    already = where is Location.BOTH
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(
            "Push now",
            icon=":material/cloud_upload:",
            on_click=_start_push,
            args=(settings, selected),
            disabled=busy,
            help=(
                "Upload this backup to the off-site copy (BACKUP_REMOTE). Files already there "
                "with the right size and checksum are not sent again."
            ),
            key="panel_push",
        )
        st.caption(
            "Already off-site: pushing again only checks it."
            if already
            else "Not off-site yet."
            if where is Location.THIS_DISK
            else ""
        )
    notice: object = st.session_state.pop(NOTICE_KEY, None)
    if isinstance(notice, str):
        st.warning(notice, icon=":material/warning:")
    if job_running("push"):
        job_progress_fragment()
    view = last_result("push", selected)
    if view is None:
        return
    draw_progress(view)
    result = view.result
    if view.error is not None or not isinstance(result, service.PushRunResult):
        st.error(f"The push failed: {view.error}", icon=":material/error:")
    elif not result.ok:
        st.error(
            f"The push failed: {result.error}. The backup on this disk is unchanged; push "
            "again to resume where it stopped.",
            icon=":material/error:",
        )
    else:
        _draw_pushed(result, view.backup_id or selected)


def _draw_pushed(result: PushRunResult, backup_id: str) -> None:
    st.success(
        f"**{backup_id}** is off-site at {result.remote}: sent {result.objects_sent} file(s) "
        f"({human_bytes(result.bytes_sent)}), {result.objects_skipped} already there, "
        f"in {human_duration(result.duration_seconds)}.",
        icon=":material/cloud_done:",
    )
    prune = result.prune
    if prune is not None and prune.deleted:
        gone = ", ".join(prune.deleted)
        st.info(f"Off-site retention removed {len(prune.deleted)} old backup(s): {gone}")
