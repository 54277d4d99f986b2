"""Off-site clean-up: preview what the remote's retention rules would delete, then apply.

The same flow as the local clean-up (panel/prune.py): a preview (dry run), a confirmation, and
an apply that deletes only what the preview showed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from panel.offsite import ask_refresh, cached_offsite_state
from panel.prune import PruneFlow
from panel.ui import table
from persistence import service
from persistence.core.display import human_age, human_bytes, human_time

if TYPE_CHECKING:
    from persistence.core.settings import BackupSettings
    from persistence.service import RemoteBackupSummary, RemotePruneResult

PREVIEW_KEY = "panel_rprune_preview"
APPLIED_KEY = "panel_rprune_applied"
CONFIRM_KEY = "panel_rprune_confirm"
NOTICE_KEY = "panel_rprune_notice"


REMOTE = PruneFlow(
    "panel_rprune",
    lambda settings, dry_run: service.prune_remote_backups(settings, dry_run=dry_run),
    "The off-site backups changed since the preview: nothing was deleted. Review the new preview.",
)


def _preview(settings: BackupSettings) -> None:
    REMOTE.preview(settings)


def _apply(settings: BackupSettings) -> None:
    if REMOTE.apply(settings):
        ask_refresh()


def _policy_text(settings: BackupSettings) -> str:
    keep = settings.remote_keep_last
    text = (
        f"keep the newest {keep} backup(s) (BACKUP_REMOTE_KEEP_LAST)"
        if keep is not None
        else f"keep the newest {settings.keep_last} backup(s) (BACKUP_KEEP_LAST)"
    )
    days = settings.remote_retention_days
    if days is not None:
        text += f" and every backup younger than {days:g} days (BACKUP_REMOTE_RETENTION_DAYS)"
    return text


def draw_remote_prune(settings: BackupSettings, *, busy: bool) -> None:
    """The off-site clean-up (nothing when BACKUP_REMOTE is not set)."""
    if settings.remote is None:
        return
    st.markdown("**Off-site copies**")
    st.caption(
        f"Off-site retention: {_policy_text(settings)}. It runs by itself after each "
        "successful push, never deletes the only complete off-site copy, and never touches an "
        "unfinished upload."
    )
    st.button(
        "Preview off-site clean-up",
        icon=":material/cleaning_services:",
        on_click=_preview,
        args=(settings,),
        disabled=busy,
        key="panel_rprune_preview_button",
    )
    notice: object = st.session_state.pop(NOTICE_KEY, None)
    if isinstance(notice, str):
        st.warning(notice, icon=":material/warning:")
    applied: object = st.session_state.get(APPLIED_KEY)
    if isinstance(applied, service.RemotePruneResult):
        _draw_applied(applied)
    preview: object = st.session_state.get(PREVIEW_KEY)
    if isinstance(preview, service.RemotePruneResult):
        _draw_preview(settings, preview, busy=busy)


def _draw_applied(result: RemotePruneResult) -> None:
    if not result.ok:
        st.error(f"Off-site clean-up failed: {result.error}", icon=":material/error:")
    elif result.deleted:
        noun = "backup" if len(result.deleted) == 1 else "backups"
        st.success(
            f"Deleted {len(result.deleted)} old off-site {noun}: {', '.join(result.deleted)}.",
            icon=":material/check_circle:",
        )
    else:
        st.success("Nothing was deleted off-site.", icon=":material/check_circle:")


def _known() -> dict[str, RemoteBackupSummary]:
    state = cached_offsite_state()
    overview = state.overview if state is not None else None
    return {b.backup_id: b for b in overview.backups} if overview is not None else {}


def _draw_preview(settings: BackupSettings, preview: RemotePruneResult, *, busy: bool) -> None:
    if not preview.ok:
        st.error(f"Off-site clean-up preview failed: {preview.error}", icon=":material/error:")
        return
    known = _known()

    def describe(backup_id: str) -> dict[str, str]:
        item = known.get(backup_id)
        return {
            "Backup": backup_id,
            "Created": human_time(item.created_at) if item else "—",
            "Age": human_age(item.created_at) if item else "—",
            "Size": human_bytes(item.size_bytes) if item else "—",
        }

    count = len(preview.deleted)
    if count:
        freed = sum(known[b].size_bytes for b in preview.deleted if b in known)
        st.warning(
            f"**{count} off-site backup(s) would be deleted** from {preview.remote}, "
            f"freeing {human_bytes(freed)}:",
            icon=":material/delete:",
        )
        table([describe(b) for b in preview.deleted])
    else:
        st.success(
            "Nothing to delete off-site: every backup is kept by the retention rules.",
            icon=":material/check_circle:",
        )
    st.caption("Kept off-site, and why")
    kept = [
        {**describe(b), "Kept because": "; ".join(preview.keep_rules.get(b, []))}
        for b in reversed(preview.kept)
    ]
    kept += [{**describe(item.backup_id), "Kept because": item.reason} for item in preview.ignored]
    table(kept)
    if not count:
        return
    st.checkbox(
        f"Yes, delete these {count} off-site backup(s) for good: {', '.join(preview.deleted)}",
        key=CONFIRM_KEY,
    )
    st.button(
        f"Delete {count} old off-site backup(s)",
        type="primary",
        icon=":material/delete:",
        on_click=_apply,
        args=(settings,),
        disabled=busy or st.session_state.get(CONFIRM_KEY) is not True,
        key="panel_rprune_apply",
    )
