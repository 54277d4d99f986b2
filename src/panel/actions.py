"""Actions on the selected backup: download its manifest, verify it, preview and restore."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from panel.jobs import (
    Job,
    draw_progress,
    job_progress_fragment,
    job_running,
    last_result,
    start_job,
)
from panel.restore import draw_restore
from panel.ui import browser_time, table
from persistence import service
from persistence.core.display import component_label, human_age, human_bytes
from persistence.core.errors import BackupError

if TYPE_CHECKING:
    from persistence.core.progress import ProgressCallback
    from persistence.core.settings import BackupSettings
    from persistence.service import BackupListing, VerifyReport

SELECTED_KEY = "panel_selected"
DEEP_KEY = "panel_deep"
NOTICE_KEY = "panel_action_notice"


def _start_verify(settings: BackupSettings, backup_id: str) -> None:
    deep = st.session_state.get(DEEP_KEY) is True

    def work(progress: ProgressCallback) -> service.RunResult:
        return service.verify_backup(settings, backup_id, deep=deep, progress=progress)

    title = f"Verifying {backup_id}" + (" (deep)" if deep else "")
    job = Job(kind="verify", title=title, work=work, backup_id=backup_id)
    if not start_job(job):
        st.session_state[NOTICE_KEY] = "A run is already in progress in this window."


def _label(listing: BackupListing) -> str:
    return (
        f"{browser_time(listing.created_at)} ({human_age(listing.created_at)}) · "
        f"{human_bytes(listing.size_bytes)} · {listing.backup_id}"
    )


def draw_selected_backup(
    settings: BackupSettings, listings: list[BackupListing], *, busy: bool
) -> str | None:
    """The backup picker and its actions; gives the picked backup's id."""
    by_id = {item.backup_id: item for item in reversed(listings) if item.valid}
    if not by_id:
        st.warning("No complete backup to act on: every backup in the folder is broken.")
        return None
    if st.session_state.get(SELECTED_KEY) not in by_id:
        st.session_state[SELECTED_KEY] = next(iter(by_id))
    selected = st.selectbox(
        "Selected backup",
        list(by_id),
        format_func=lambda backup_id: _label(by_id[str(backup_id)]),
        key=SELECTED_KEY,
    )
    backup_id = str(selected)
    with st.container(horizontal=True, vertical_alignment="center"):
        _download_button(settings, backup_id)
        st.button(
            "Verify",
            icon=":material/verified:",
            on_click=_start_verify,
            args=(settings, backup_id),
            disabled=busy,
            help="Re-read every file and compare it with the checksums in the manifest.",
            key="panel_verify",
        )
        st.checkbox(
            "Deep check",
            key=DEEP_KEY,
            help="Also open every Qdrant snapshot and count its points (slower).",
        )
    notice: object = st.session_state.pop(NOTICE_KEY, None)
    if isinstance(notice, str):
        st.warning(notice, icon=":material/warning:")
    if job_running("verify"):
        job_progress_fragment()
    view = last_result("verify", backup_id)
    if view is not None:
        draw_progress(view)
        if view.error is not None or not isinstance(view.result, service.VerifyReport):
            st.error(f"Verification could not run: {view.error}", icon=":material/error:")
        else:
            draw_verify_report(view.result)
    st.divider()
    draw_restore(settings, backup_id, busy=busy)
    return backup_id


def _download_button(settings: BackupSettings, backup_id: str) -> None:
    try:
        data = service.manifest_bytes_of(settings, backup_id)
    except (BackupError, OSError) as exc:
        reason = exc.message if isinstance(exc, BackupError) else (exc.strerror or str(exc))
        st.button(
            "Download manifest",
            icon=":material/download:",
            disabled=True,
            help=f"cannot read: {reason}",
        )
        return
    st.download_button(
        "Download manifest",
        data=data,
        file_name=f"{backup_id}.manifest.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
        key="panel_download",
    )


def _verdict(ok: bool, status: str) -> str:
    if not ok:
        return "damaged"
    return "intact" if status == "captured" else f"nothing to check ({status})"


def draw_verify_report(report: VerifyReport) -> None:
    if report.error:
        st.error(f"Verification could not run: {report.error}", icon=":material/error:")
        return
    checked = sum(c.files_checked for c in report.components)
    kind = "Deep verification" if report.deep else "Verification"
    if report.ok:
        st.success(
            f"{kind} passed: **{report.backup_id}** is intact ({checked} files checked).",
            icon=":material/check_circle:",
        )
    else:
        count = len(report.problems) or len(report.failed_files)
        st.error(
            f"{kind} failed: **{report.backup_id}** has {count} problem(s). "
            "Do not rely on it; create a new backup.",
            icon=":material/error:",
        )
    rows = [
        {
            "Component": component_label(c.name),
            "Verdict": _verdict(c.ok, c.status),
            "Status": c.status,
            "Files checked": c.files_checked,
            "Problems and notes": "\n".join([*c.problems, *c.notes]) or "none",
        }
        for c in report.components
    ]
    # st.table wraps long cells, so every problem can be read in full (a dataframe cuts them).
    # Streamlit's own annotations leave st.table's data argument untyped.
    st.table(rows, hide_index=True)  # pyright: ignore[reportUnknownMemberType]
    if report.failed_files:
        st.caption("Files that failed the check")
        failed = [
            {"Component": f.component, "File": f.path, "Problem": f.problem}
            for f in report.failed_files
        ]
        table(failed)
