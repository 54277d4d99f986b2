"""Prune: preview what the retention rules would delete and why each survivor stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from panel.ui import browser_time, table
from persistence import service
from persistence.core.display import human_age, human_bytes
from persistence.core.errors import BackupError
from persistence.core.results import PruneResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from persistence.core.settings import BackupSettings
    from persistence.service import BackupListing

PREVIEW_KEY = "panel_prune_preview"
APPLIED_KEY = "panel_prune_applied"
CONFIRM_KEY = "panel_prune_confirm"
NOTICE_KEY = "panel_prune_notice"


@dataclass(frozen=True)
class PruneFlow:
    """Preview, confirm, apply: the steps every clean-up section of the panel shares.

    Session keys are `<prefix>_preview`, `_applied`, `_confirm` and `_notice`.
    """

    prefix: str
    prune: Callable[[BackupSettings, bool], PruneResult]  # (settings, dry_run)
    changed_notice: str
    result_type: type[PruneResult] = PruneResult  # what a failure that escaped the call becomes

    def key(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    def run(self, settings: BackupSettings, *, dry_run: bool) -> PruneResult:
        try:
            return self.prune(settings, dry_run)
        except BackupError as exc:
            return self.result_type(ok=False, dry_run=dry_run, error=exc.message)

    def preview(self, settings: BackupSettings) -> None:
        st.session_state.pop(self.key("applied"), None)
        st.session_state[self.key("confirm")] = False
        st.session_state[self.key("preview")] = self.run(settings, dry_run=True)

    def apply(self, settings: BackupSettings) -> bool:
        """Delete only what the preview showed: if the plan changed meanwhile, show it again."""
        shown: object = st.session_state.get(self.key("preview"))
        confirmed = st.session_state.get(self.key("confirm")) is True
        if not isinstance(shown, PruneResult) or not confirmed:
            return False
        st.session_state[self.key("confirm")] = False
        fresh = self.run(settings, dry_run=True)
        if not fresh.ok or fresh.deleted != shown.deleted:
            st.session_state[self.key("preview")] = fresh
            st.session_state[self.key("notice")] = self.changed_notice
            return False
        st.session_state.pop(self.key("preview"), None)
        st.session_state[self.key("applied")] = self.run(settings, dry_run=False)
        return True


LOCAL = PruneFlow(
    "panel_prune",
    lambda settings, dry_run: service.prune_backups(settings, dry_run=dry_run),
    "The backups changed since the preview: nothing was deleted. Review the new preview.",
)


def _preview(settings: BackupSettings) -> None:
    LOCAL.preview(settings)


def _apply(settings: BackupSettings) -> None:
    LOCAL.apply(settings)


def _policy_text(settings: BackupSettings) -> str:
    text = f"keep the newest {settings.keep_last} backup(s) (BACKUP_KEEP_LAST)"
    if settings.retention_days is not None:
        text += (
            f" and every backup younger than {settings.retention_days:g} days "
            "(BACKUP_RETENTION_DAYS)"
        )
    calendar = [
        f"{count} {unit}"
        for count, unit in (
            (settings.keep_hourly, "hourly"),
            (settings.keep_daily, "daily"),
            (settings.keep_weekly, "weekly"),
            (settings.keep_monthly, "monthly"),
            (settings.keep_yearly, "yearly"),
        )
        if count
    ]
    if calendar:
        text += f", and the newest of each period: {', '.join(calendar)} (BACKUP_KEEP_…)"
    return text


def draw_prune(settings: BackupSettings, listings: list[BackupListing], *, busy: bool) -> None:
    st.caption(
        f"Retention rules: {_policy_text(settings)}. A backup stays if any rule keeps it; "
        "broken backups are never deleted automatically. A new backup applies them by itself."
    )
    st.button(
        "Preview clean-up",
        icon=":material/cleaning_services:",
        on_click=_preview,
        args=(settings,),
        disabled=busy,
        key="panel_prune_preview_button",
    )
    notice: object = st.session_state.pop(NOTICE_KEY, None)
    if isinstance(notice, str):
        st.warning(notice, icon=":material/warning:")
    applied: object = st.session_state.get(APPLIED_KEY)
    if isinstance(applied, PruneResult):
        _draw_applied(applied)
    preview: object = st.session_state.get(PREVIEW_KEY)
    if isinstance(preview, PruneResult):
        _draw_preview(settings, preview, {item.backup_id: item for item in listings}, busy=busy)


def _draw_applied(result: PruneResult) -> None:
    if not result.ok:
        st.error(f"Clean-up failed: {result.error}", icon=":material/error:")
    elif result.deleted:
        noun = "backup" if len(result.deleted) == 1 else "backups"
        st.success(
            f"Deleted {len(result.deleted)} old {noun}: {', '.join(result.deleted)}.",
            icon=":material/check_circle:",
        )
    else:
        st.success("Nothing was deleted.", icon=":material/check_circle:")


def _draw_preview(
    settings: BackupSettings,
    preview: PruneResult,
    known: dict[str, BackupListing],
    *,
    busy: bool,
) -> None:
    if not preview.ok:
        st.error(f"Clean-up preview failed: {preview.error}", icon=":material/error:")
        return

    def describe(backup_id: str) -> dict[str, str]:
        item = known.get(backup_id)
        return {
            "Backup": backup_id,
            "Created": browser_time(item.created_at) if item else "—",
            "Age": human_age(item.created_at) if item else "—",
            "Size": human_bytes(item.size_bytes) if item else "—",
        }

    if preview.deleted:
        freed = sum(known[b].size_bytes for b in preview.deleted if b in known)
        noun = "backup" if len(preview.deleted) == 1 else "backups"
        st.warning(
            f"**{len(preview.deleted)} {noun} would be deleted**, freeing {human_bytes(freed)}:",
            icon=":material/delete:",
        )
        table([describe(b) for b in preview.deleted])
    else:
        st.success(
            "Nothing to delete: every backup is kept by the retention rules.",
            icon=":material/check_circle:",
        )
    st.caption("Kept, and why")
    kept = [
        {**describe(b), "Kept because": "; ".join(preview.keep_rules.get(b, []))}
        for b in reversed(preview.kept)
    ]
    kept += [{**describe(item.backup_id), "Kept because": item.reason} for item in preview.ignored]
    table(kept)
    if not preview.deleted:
        return
    count = len(preview.deleted)
    st.checkbox(
        f"Yes, delete these {count} backup(s) for good: {', '.join(preview.deleted)}",
        key=CONFIRM_KEY,
    )
    st.button(
        f"Delete {count} old backup(s)",
        type="primary",
        icon=":material/delete:",
        on_click=_apply,
        args=(settings,),
        disabled=busy or st.session_state.get(CONFIRM_KEY) is not True,
        key="panel_prune_apply",
    )
