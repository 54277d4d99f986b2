"""The backup panel's main page: health, create, the backups table, actions, prune.

Every action calls the same `persistence.service` function as the CLI; this page only
draws and asks for confirmation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from panel.actions import draw_selected_backup
from panel.browse import draw_diff, draw_files
from panel.health import draw_health, finish_qdrant_card
from panel.history import draw_backups_table, draw_history_charts
from panel.jobs import (
    Job,
    JobView,
    collect_finished_job,
    draw_progress,
    job_progress_fragment,
    job_running,
    last_result,
    load_panel_settings,
    start_job,
)
from panel.offsite import draw_offsite_health
from panel.offsite_prune import draw_remote_prune
from panel.offsite_push import draw_push
from panel.prune import draw_prune
from panel.schedule import draw_alarm, draw_schedule
from panel.ui import table
from persistence import service
from persistence.core.display import (
    component_label,
    human_age,
    human_bytes,
    human_duration,
)
from persistence.core.errors import BackupError
from persistence.core.results import CreateResult

if TYPE_CHECKING:
    from persistence.core.progress import ProgressCallback
    from persistence.core.settings import BackupSettings
    from persistence.service import LockHolder

NOTICE_KEY = "panel_notice"


def _start_create(settings: BackupSettings) -> None:
    """Button callback: runs before the page is drawn, so the button is already disabled."""
    try:
        holder = service.lock_holder(settings)
    except BackupError as exc:
        st.session_state[NOTICE_KEY] = exc.message
        return
    if holder is not None:
        st.session_state[NOTICE_KEY] = (
            f"Not started: another run holds the lock ({holder.describe()})."
        )
        return

    def work(progress: ProgressCallback) -> service.RunResult:
        return service.create_backup(settings, progress=progress)

    if not start_job(Job(kind="create", title="Creating a backup", work=work)):
        st.session_state[NOTICE_KEY] = "A run is already in progress in this window."


@st.fragment(run_every=2.0)
def _wait_for_lock(settings: BackupSettings, holder: LockHolder) -> None:
    """While another process holds the lock, check every 2 s and redraw the page when free."""
    since = human_age(holder.since)
    st.info(
        f"**A {holder.operation} run is in progress** (pid {holder.pid} on {holder.host}, "
        f"started {since}). Creating, verifying, restoring and pruning are disabled until it "
        "finishes; this page updates by itself.",
        icon=":material/lock:",
    )
    try:
        still = service.lock_holder(settings)
    except BackupError:
        return
    if still is None:
        st.rerun(scope="app")


def _draw_empty_state(settings: BackupSettings) -> None:
    paths = settings.resolved()
    sources = [
        ("cache_db", "SQLite", paths.cache_db),
        ("storage", "folder", paths.storage_dir),
        ("uploads", "folder", paths.uploads_dir),
        ("analytics_db", "DuckDB", paths.analytics_db),
    ]
    lines = [
        f"- **{component_label(name)}** ({kind}): `{path}`"
        + ("" if path.exists() else " · not found yet")
        for name, kind, path in sources
    ]
    logs = "" if settings.include_logs else " (off: set BACKUP_INCLUDE_LOGS=true to include)"
    lines.append(f"- **Logs**: `{paths.logs_dir}`{logs}")
    if settings.qdrant_url:
        lines.append("- **Qdrant**: a snapshot of every collection on the configured server")
    elif paths.qdrant_path is not None:
        lines.append(f"- **Qdrant** (embedded): `{paths.qdrant_path}`")
    else:
        lines.append("- **Qdrant**: not configured (set QDRANT_URL or QDRANT_PATH)")
    st.info(
        "**No backups yet.** A backup copies your app's state into a new dated folder under "
        f"`{paths.backup_dir}`, with a `manifest.json` listing every file and its checksum. "
        "Your data is only read, never changed. It will include:\n\n" + "\n".join(lines),
        icon=":material/inventory_2:",
    )


def _draw_create_result(view: JobView) -> None:
    draw_progress(view)
    result = view.result
    if view.error is not None or not isinstance(result, CreateResult):
        st.error(f"The backup failed: {view.error}", icon=":material/error:")
        return
    total = sum(c.bytes for c in result.components)
    if result.ok:
        st.success(
            f"Backup **{result.backup_id}** is complete: {human_bytes(total)} "
            f"in {human_duration(result.duration_seconds)}.",
            icon=":material/check_circle:",
        )
    else:
        st.error(f"The backup failed: {result.error}", icon=":material/error:")
        st.caption(
            "Nothing was kept from this run: a backup only appears once every component has "
            "been captured. Fix the problem above and try again."
        )
        return
    rows = [
        {
            "Component": component_label(c.name),
            "Status": c.status,
            "Files": c.file_count,
            "Size": human_bytes(c.bytes),
            "Detail": c.error or c.method or "",
        }
        for c in result.components
    ]
    if rows:
        table(rows)
    for warning in result.warnings:
        st.warning(warning, icon=":material/warning:")
    if result.prune is not None and result.prune.deleted:
        gone = ", ".join(result.prune.deleted)
        st.info(f"Retention removed {len(result.prune.deleted)} old backup(s): {gone}")


def main() -> None:
    st.title("Backups")
    collect_finished_job()  # before reading the disk, so health and table include its result
    try:
        settings = load_panel_settings()
        status = service.status_report(settings)
    except BackupError as exc:
        st.error(exc.message, icon=":material/error:")
        st.stop()

    listings = status.backups
    draw_alarm(settings, status)  # late or failing, prominently (includes the run's error)
    pending_qdrant = draw_health(settings, status, show_run_error=False)
    draw_offsite_health(settings)
    draw_schedule(settings)

    running = job_running()
    holder = status.lock if not running else None
    busy = running or holder is not None

    st.subheader("Back up now")
    if not listings:
        _draw_empty_state(settings)
    st.button(
        "Create backup now",
        type="primary",
        icon=":material/backup:",
        disabled=busy,
        on_click=_start_create,
        args=(settings,),
        key="panel_create",
    )
    notice: object = st.session_state.pop(NOTICE_KEY, None)
    if isinstance(notice, str):
        st.warning(notice, icon=":material/warning:")
    if holder is not None:
        _wait_for_lock(settings, holder)
    if job_running("create"):
        job_progress_fragment()
    last = last_result("create")
    if last is not None:
        _draw_create_result(last)

    if listings:
        st.subheader("Your backups")
        draw_backups_table(listings)
        draw_history_charts(listings)
        with st.container(border=True):
            selected = draw_selected_backup(settings, listings, busy=busy)
            draw_push(settings, busy=busy)
        if selected is not None:
            with st.expander("Files in this backup", icon=":material/folder_open:"):
                draw_files(settings, selected, busy=busy)
            with st.expander("What changed", icon=":material/difference:"):
                draw_diff(settings, listings, selected)
        st.subheader("Clean up old backups")
        draw_prune(settings, listings, busy=busy)
        draw_remote_prune(settings, busy=busy)
    finish_qdrant_card(pending_qdrant)


main()
