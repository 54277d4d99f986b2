"""Restore: the dry-run plan first, then a confirmation that names what will be replaced."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import streamlit as st

from panel.jobs import (
    LAST_KEY,
    Job,
    draw_progress,
    job_progress_fragment,
    job_running,
    last_result,
    start_job,
)
from panel.ui import table
from persistence import service
from persistence.core.display import component_label, human_bytes
from persistence.core.errors import BackupError

if TYPE_CHECKING:
    from persistence.core.progress import ProgressCallback
    from persistence.core.settings import BackupSettings
    from persistence.service import ComponentPlan, RestorePlan, RestoreResult

PLAN_KEY = "panel_restore_plan"
PLAN_ERROR_KEY = "panel_restore_plan_error"
CONFIRM_KEY = "panel_restore_confirm"
ONLY_KEY = "panel_restore_only"
SHOWN_FILES = 200


def _make_plan(settings: BackupSettings, backup_id: str) -> None:
    if last_result("restore") is not None:
        st.session_state.pop(LAST_KEY, None)  # the new plan replaces the last restore's result
    st.session_state.pop(PLAN_KEY, None)
    st.session_state.pop(PLAN_ERROR_KEY, None)
    st.session_state[CONFIRM_KEY] = False
    chosen: object = st.session_state.get(ONLY_KEY)
    only = [str(name) for name in cast("list[object]", chosen)] if isinstance(chosen, list) else []
    try:
        plan = service.plan_restore(settings, backup_id, only=only or None)
    except BackupError as exc:
        st.session_state[PLAN_ERROR_KEY] = exc.message
        return
    if not plan.ok:
        st.session_state[PLAN_ERROR_KEY] = f"No restore preview: {plan.error}"
        return
    st.session_state[PLAN_KEY] = plan


def _start_restore(settings: BackupSettings, plan: RestorePlan) -> None:
    if st.session_state.get(CONFIRM_KEY) is not True:
        return
    st.session_state[CONFIRM_KEY] = False
    st.session_state.pop(PLAN_KEY, None)

    def work(progress: ProgressCallback) -> service.RunResult:
        return service.restore_backup(settings, plan.backup_id, only=plan.only, progress=progress)

    start_job(
        Job(
            kind="restore", title=f"Restoring {plan.backup_id}", work=work, backup_id=plan.backup_id
        )
    )


def _replaced_text(component: ComponentPlan) -> str:
    parts: list[str] = []
    if component.files_replaced:
        parts.append(f"{len(component.files_replaced)} replaced")
    if component.files_removed:
        parts.append(f"{len(component.files_removed)} removed")
    if component.files_written:
        parts.append(f"{len(component.files_written)} written")
    past = {"recover": "recovered", "replace": "replaced"}
    parts += [
        f"collection {c.name} {past[c.action]}"
        for c in component.collections
        if c.action != "leave"
    ]
    detail = ", ".join(parts) or "rebuilt"
    return f"{component_label(component.name)} ({detail})"


def what_changes(plan: RestorePlan) -> list[str]:
    return [_replaced_text(c) for c in plan.components if c.changes]


def draw_restore(settings: BackupSettings, backup_id: str, *, busy: bool) -> None:
    st.markdown("**Restore**")
    st.caption(
        "Start with a preview: nothing changes until you confirm. Before a restore replaces "
        "anything, your current state is saved as a pre-restore copy you can restore back."
    )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.multiselect(
            "Restore only these components (all when empty)",
            ["cache_db", "storage", "uploads", "analytics_db", "logs", "qdrant"],
            format_func=component_label,
            key=ONLY_KEY,
        )
        st.button(
            "Restore preview",
            icon=":material/preview:",
            on_click=_make_plan,
            args=(settings, backup_id),
            help="Show what a restore would write, replace and remove; changes nothing.",
            key="panel_plan",
        )
    error: object = st.session_state.get(PLAN_ERROR_KEY)
    if isinstance(error, str):
        st.error(error, icon=":material/error:")
    if job_running("restore"):
        job_progress_fragment()
    view = last_result("restore")
    if view is not None:
        draw_progress(view)
        if view.error is not None or not isinstance(view.result, service.RestoreResult):
            st.error(f"The restore could not run: {view.error}", icon=":material/error:")
        else:
            draw_restore_result(settings, view.result, busy=busy)
    plan: object = st.session_state.get(PLAN_KEY)
    if isinstance(plan, service.RestorePlan) and (
        plan.backup_id == backup_id or str(plan.backup_id).startswith(service.PRE_RESTORE_PREFIX)
    ):
        _draw_plan(settings, plan, busy=busy)


def _draw_plan(settings: BackupSettings, plan: RestorePlan, *, busy: bool) -> None:
    st.markdown(
        f"**Restore preview** of `{plan.backup_id}`: writes {human_bytes(plan.bytes_to_write)}. "
        "Nothing has been changed yet."
    )
    rows = [
        {
            "Component": component_label(c.name),
            "Action": c.action,
            "Target": c.target or "",
            "Written": len(c.files_written),
            "Replaced": len(c.files_replaced),
            "Removed": len(c.files_removed),
            "Unchanged": c.files_unchanged,
            "Size": human_bytes(c.bytes_to_write),
            "Why": c.reason,
        }
        for c in plan.components
    ]
    table(rows)
    collections = [
        {
            "Component": c.name,
            "Collection": col.name,
            "Action": col.action,
            "Size": human_bytes(col.bytes),
        }
        for c in plan.components
        for col in c.collections
    ]
    if collections:
        table(collections)
    for space in plan.space:
        line = (
            f"{space.purpose}: needs {human_bytes(space.needed_bytes)}, "
            f"{human_bytes(space.free_bytes)} free at `{space.path}`"
        )
        st.markdown(
            (":green[:material/check_circle:] " if space.ok else ":red[:material/cancel:] ") + line
        )
    _draw_file_lists(plan)
    # The plan's own lists already gather every component's warnings and problems.
    for warning in plan.warnings:
        st.warning(warning, icon=":material/warning:")
    if plan.problems:
        st.error(
            "The restore is blocked:\n\n" + "\n".join(f"- {p}" for p in plan.problems),
            icon=":material/error:",
        )
        return
    if plan.nothing_to_do:
        st.success("Nothing to restore: your current state already matches this backup.")
        return
    _draw_confirmation(settings, plan, busy=busy)


def _draw_file_lists(plan: RestorePlan) -> None:
    lists = {
        "replaced": [f"{c.name}/{f}" for c in plan.components for f in c.files_replaced],
        "removed": [f"{c.name}/{f}" for c in plan.components for f in c.files_removed],
    }
    for title, files in lists.items():
        if files:
            with st.expander(f"Files that would be {title} ({len(files)})"):
                shown = files[:SHOWN_FILES]
                more = (
                    f"\n… and {len(files) - SHOWN_FILES} more" if len(files) > SHOWN_FILES else ""
                )
                st.code("\n".join(shown) + more, language=None)


def _draw_confirmation(settings: BackupSettings, plan: RestorePlan, *, busy: bool) -> None:
    changes = what_changes(plan)
    if plan.undo:
        st.caption(f"Undo: {plan.undo}")
    st.checkbox(
        f"Yes, replace {'; '.join(changes)} with the copy from {plan.backup_id}",
        key=CONFIRM_KEY,
    )
    confirmed = st.session_state.get(CONFIRM_KEY) is True
    st.button(
        "Restore now",
        type="primary",
        icon=":material/settings_backup_restore:",
        on_click=_start_restore,
        args=(settings, plan),
        disabled=busy or not confirmed,
        key="panel_restore",
    )


def draw_restore_result(settings: BackupSettings, result: RestoreResult, *, busy: bool) -> None:
    if result.nothing_to_do:
        st.success("Nothing was restored: the current state already matched the backup.")
    elif result.ok:
        undo = f" Your previous state was saved as **{result.undo_id}**." if result.undo_id else ""
        st.success(f"Restored **{result.backup_id}**.{undo}", icon=":material/check_circle:")
        if result.undo_id:
            st.button(
                "Preview undo",
                icon=":material/undo:",
                on_click=_make_plan,
                args=(settings, result.undo_id),
                disabled=busy,
                help=f"Preview restoring {result.undo_id}, the state from before this restore.",
                key="panel_undo_plan",
            )
    else:
        st.error(f"The restore failed: {result.error}", icon=":material/error:")
    rows = [
        {
            "Component": component_label(c.name),
            "Result": c.action if c.ok else f"{c.action} failed",
            "Files written": c.files_written,
            "Files removed": c.files_removed,
            "Size": human_bytes(c.bytes_written),
            "Detail": c.error or ", ".join(c.collections_recovered),
        }
        for c in result.components
    ]
    if rows:
        table(rows)
    for warning in result.warnings:
        st.warning(warning, icon=":material/warning:")
