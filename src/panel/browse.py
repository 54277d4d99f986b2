"""Look into the selected backup: its files (download one), and what changed since another."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from panel.ui import browser_time, table
from persistence import service
from persistence.core.display import component_label, human_bytes
from persistence.core.errors import BackupError

if TYPE_CHECKING:
    from collections.abc import Callable

    from persistence.core.settings import BackupSettings
    from persistence.service import BackupDiff, BackupListing, FileEntry

FILTER_KEY = "panel_files_filter"
FILE_KEY = "panel_file_pick"
DIFF_KEY = "panel_diff"
DIFF_AGAINST_KEY = "panel_diff_against"
PREVIOUS = "the previous backup"
NOW = "now (the data root)"
HASH_SHOWN = 12
MAX_FILES_SHOWN = 200
FILE_RESTORE_KEY = "panel_file_restored"
DATABASES = ("cache_db", "analytics_db")


def draw_files(settings: BackupSettings, backup_id: str, *, busy: bool = False) -> None:
    wanted = st.text_input(
        "Only under",
        key=FILTER_KEY,
        placeholder="storage/notes",
        help="A path inside the backup: the component, then the path in it.",
    )
    contents = service.ls_backup(settings, backup_id, path=wanted.strip() or None)
    if not contents.ok:
        st.warning(contents.error or "cannot list this backup", icon=":material/warning:")
        return
    everything = [f for f in contents.files if f.kind != "dir"]
    # A backup can hold thousands of files: every rerun of the page draws this table and the
    # file picker, so only the first MAX_FILES_SHOWN are, and the filter narrows the rest.
    files = everything[:MAX_FILES_SHOWN]
    if len(everything) > len(files):
        st.caption(
            f"Showing the first {len(files):,} of {len(everything):,} files: type a folder in "
            "**Only under** to see the others."
        )
    rows = [
        {
            "File": f"{f.component}/{f.path}",
            "Size": human_bytes(f.size),
            "Modified": browser_time(f.mtime),
            "sha256": (f.sha256 or "")[:HASH_SHOWN]
            or (f"-> {f.link_target}" if f.link_target else ""),
        }
        for f in files
    ]
    table(rows, key="panel_files_table")
    if contents.collections:
        st.caption(
            "Qdrant collections: "
            + ", ".join(f"{c.name} ({c.points_count} points)" for c in contents.collections)
        )
    downloadable = {f"{f.component}/{f.path}": f for f in files if f.kind == "file"}
    if not downloadable:
        return
    picked = st.selectbox("File", list(downloadable), key=FILE_KEY)
    _draw_file_actions(settings, backup_id, downloadable[str(picked)], busy=busy)


def _draw_file_actions(
    settings: BackupSettings, backup_id: str, entry: FileEntry, *, busy: bool
) -> None:
    """Download the picked file, or put it back (tree files only: databases restore whole)."""
    with st.container(horizontal=True):
        st.download_button(
            f"Download {entry.path.rsplit('/', 1)[-1]} ({human_bytes(entry.size)})",
            data=_reader(settings, backup_id, entry.component, entry.path),
            file_name=entry.path.rsplit("/", 1)[-1],
            icon=":material/download:",
            on_click="ignore",
            key="panel_file_download",
        )
        if entry.component not in DATABASES:
            st.button(
                "Restore this file",
                icon=":material/settings_backup_restore:",
                on_click=_restore_one,
                args=(settings, backup_id, f"{entry.component}/{entry.path}"),
                disabled=busy,
                help="Put this file back where it belongs if it is missing; a file that "
                "exists with other content is left alone.",
                key="panel_file_restore",
            )
    _draw_file_restore()


def _restore_one(settings: BackupSettings, backup_id: str, path: str) -> None:
    st.session_state[FILE_RESTORE_KEY] = service.restore_some(settings, backup_id, paths=[path])


def _draw_file_restore() -> None:
    done: object = st.session_state.get(FILE_RESTORE_KEY)
    if not isinstance(done, service.FileRestoreResult):
        return
    if not done.ok:
        st.error(f"Not restored: {done.error}", icon=":material/error:")
    elif done.written:
        st.success(f"Restored {', '.join(done.written)}.", icon=":material/check_circle:")
    elif done.conflicts:
        st.warning(
            f"{', '.join(done.conflicts)} exists with other content and was left alone. "
            "Download the backup's version above, or restore it elsewhere with "
            "`restore-backup --target DIR`.",
            icon=":material/warning:",
        )
    else:
        st.info(f"{', '.join(done.unchanged)} is already as in the backup.")


def _reader(
    settings: BackupSettings, backup_id: str, component: str, path: str
) -> Callable[[], bytes]:
    # Read only when the user clicks: a large file is not loaded on every page draw.
    return lambda: service.backup_file_bytes(settings, backup_id, component, path)


def _previous(listings: list[BackupListing], backup_id: str) -> str | None:
    older = sorted(
        i.backup_id for i in listings if i.valid and i.kind == "backup" and i.backup_id < backup_id
    )
    return older[-1] if older else None


def _compare(settings: BackupSettings, old_id: str, new_id: str) -> None:
    try:
        st.session_state[DIFF_KEY] = service.diff_backups(settings, old_id, new_id)
    except BackupError as exc:  # settings that stopped resolving since the page was drawn
        st.session_state[DIFF_KEY] = service.BackupDiff(ok=False, error=exc.message, exit_code=2)


def draw_diff(settings: BackupSettings, listings: list[BackupListing], backup_id: str) -> None:
    previous = _previous(listings, backup_id)
    choices = [NOW] if previous is None else [PREVIOUS, NOW]
    against = st.radio("Compare with", choices, key=DIFF_AGAINST_KEY, horizontal=True)
    old_id, new_id = (
        (previous, backup_id) if against == PREVIOUS and previous else (backup_id, "live")
    )
    st.button(
        "Compare",
        icon=":material/difference:",
        on_click=_compare,
        args=(settings, old_id, new_id),
        key="panel_compare",
    )
    shown: object = st.session_state.get(DIFF_KEY)
    if isinstance(shown, service.BackupDiff) and shown.new_id == new_id and shown.old_id == old_id:
        draw_diff_result(shown)


def draw_diff_result(diff: BackupDiff) -> None:
    if not diff.ok:
        st.error(f"Could not compare: {diff.error}", icon=":material/error:")
        return
    target = "now" if diff.new_id == "live" else diff.new_id
    if diff.identical:
        st.success(f"No differences between {diff.old_id} and {target}.", icon=":material/check:")
        return
    st.markdown(f"Changes from **{diff.old_id}** to **{target}**")
    rows: list[dict[str, object]] = []
    for comp in diff.components:
        label = component_label(comp.name)
        for item in [*comp.added, *comp.removed, *comp.changed]:
            rows.append(
                {
                    "Component": label,
                    "Change": item.change.value,
                    "What": item.path,
                    "Before": human_bytes(item.old_size) if item.old_size is not None else "—",
                    "After": human_bytes(item.new_size) if item.new_size is not None else "—",
                }
            )
        for t in comp.tables:
            rows.append(
                {
                    "Component": label,
                    "Change": "rows",
                    "What": f"table {t.table}",
                    "Before": "—" if t.old_rows is None else f"{t.old_rows} rows",
                    "After": "—" if t.new_rows is None else f"{t.new_rows} rows",
                }
            )
        for c in comp.collections:
            config = " (vectors config changed)" if c.config_changed else ""
            rows.append(
                {
                    "Component": label,
                    "Change": c.change.value,
                    "What": f"collection {c.name}{config}",
                    "Before": "—" if c.old_points is None else f"{c.old_points} points",
                    "After": "—" if c.new_points is None else f"{c.new_points} points",
                }
            )
    table(rows, key="panel_diff_table", height="content")
    notes = [f"{component_label(c.name)}: {n}" for c in diff.components for n in c.notes]
    for note in notes:
        st.caption(note)
