"""The panel's honest table, charts, file browser, download and diff, under AppTest."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from persistence import service
from persistence.core.settings import BackupSettings
from tests.conftest import AppState
from tests.panel.test_panel import make_backups, page_text, table_column, values


def _frame_with(app: AppTest, column: str) -> int:
    return next(i for i, frame in enumerate(app.dataframe) if column in frame.value.columns)


def _tamper(state: AppState, backup_id: str) -> None:
    report = state.backup_dir / backup_id / "uploads" / "2026" / "11" / "report.pdf"
    report.unlink()  # a new inode: unchanged files are hard links shared with other backups
    report.write_bytes(b"%PDF tampered")


def test_table_shows_every_backup_newest_first_and_flags_the_damaged(
    panel_env: AppState, panel: AppTest
) -> None:
    settings: BackupSettings = panel_env.settings
    ids = make_backups(settings, 3)
    _tamper(panel_env, ids[0])
    assert not service.verify_backup(settings, ids[0]).ok
    assert service.verify_backup(settings, ids[1]).ok
    panel.run()
    assert not panel.exception
    index = _frame_with(panel, "Verification")
    assert table_column(panel, index, "Backup") == list(reversed(ids))
    verdicts = dict(zip(ids[::-1], table_column(panel, index, "Verification"), strict=True))
    assert verdicts[ids[0]].startswith("⚑ DAMAGED")
    assert verdicts[ids[1]].startswith("ok") and verdicts[ids[2]] == "never verified"
    flagged = [e for e in panel.error if ids[0] in str(e.value)]
    assert flagged and flagged[0].proto.icon == ":material/flag:"
    charts = [json.loads(c.proto.spec) for c in panel.get("vega_lite_chart")]
    assert [c["mark"]["type"] for c in charts] == ["line", "bar"]  # size over time, gaps
    # Backups seconds apart still get dated ticks, not Vega's sub-second ".950".
    assert {c["encoding"]["x"]["axis"]["format"] for c in charts} == {"%b %d %H:%M"}


def test_browse_a_backup_and_download_one_file(panel_env: AppState, panel: AppTest) -> None:
    settings = panel_env.settings
    (backup_id,) = make_backups(settings, 1)
    panel.run()
    assert not panel.exception
    files = table_column(panel, _frame_with(panel, "sha256"), "File")
    assert "uploads/2026/11/report.pdf" in files and "cache_db/cache.db" in files
    panel.text_input(key="panel_files_filter").input("storage/notes").run()
    assert table_column(panel, _frame_with(panel, "sha256"), "File") == [
        "storage/notes/résumé – 日本語.md"
    ]
    picker = panel.selectbox(key="panel_file_pick")
    assert picker.value == "storage/notes/résumé – 日本語.md"
    source = settings.resolved().storage_dir / "notes" / "résumé – 日本語.md"
    data = service.backup_file_bytes(settings, backup_id, "storage", "notes/résumé – 日本語.md")
    assert data == source.read_bytes()
    assert "Download résumé – 日本語.md" in page_text(panel)


def test_diff_with_the_previous_backup_and_with_now(panel_env: AppState, panel: AppTest) -> None:
    settings = panel_env.settings
    first = make_backups(settings, 1)[0]
    docstore = settings.resolved().storage_dir / "docstore.json"
    docstore.write_text('{"docs": {}}\n')
    second = make_backups(settings, 1)[0]
    (settings.resolved().uploads_dir / "added-later.txt").write_text("new\n")
    panel.run()
    assert panel.radio(key="panel_diff_against").value == "the previous backup"
    panel.button(key="panel_compare").click().run()
    assert not panel.exception
    index = _frame_with(panel, "Change")
    assert table_column(panel, index, "What") == ["docstore.json"]
    assert any(f"**{first}** to **{second}**" in v for v in values(panel.markdown))
    panel.radio(key="panel_diff_against").set_value("now (the data root)").run()
    panel.button(key="panel_compare").click().run()
    index = _frame_with(panel, "Change")
    assert table_column(panel, index, "What") == ["added-later.txt"]
    assert table_column(panel, index, "Change") == ["added"]


def test_settings_page_shows_every_setting(panel_env: AppState, panel: AppTest) -> None:
    panel.run()
    panel.switch_page("pages/settings_page.py").run()
    assert not panel.exception
    names = table_column(panel, 0, "Setting")
    assert len(names) == len(BackupSettings.model_fields)
    assert "BACKUP_KEEP_UNDO" in names


def test_restore_this_file_puts_back_one_lost_file(panel_env: AppState, panel: AppTest) -> None:
    settings = panel_env.settings
    make_backups(settings, 1)
    lost = settings.resolved().uploads_dir / "2026" / "11" / "report.pdf"
    original = lost.read_bytes()
    lost.unlink()
    other = settings.resolved().storage_dir / "docstore.json"
    other.unlink()
    panel.run()
    panel.text_input(key="panel_files_filter").input("uploads/2026").run()
    assert panel.selectbox(key="panel_file_pick").value == "uploads/2026/11/report.pdf"
    panel.button(key="panel_file_restore").click().run()
    assert not panel.exception
    assert any("Restored uploads/2026/11/report.pdf" in v for v in values(panel.success))
    assert lost.read_bytes() == original
    assert not other.exists()  # one file, nothing else


def test_a_big_backup_lists_its_first_files_and_the_filter_reaches_the_rest(
    panel_env: AppState, panel: AppTest
) -> None:
    """Every rerun draws the file table: a backup of thousands of files shows the first
    MAX_FILES_SHOWN and says so; the filter finds any of the others."""
    from panel.browse import MAX_FILES_SHOWN

    settings = panel_env.settings
    bulk = settings.resolved().storage_dir / "bulk"
    bulk.mkdir()
    for i in range(MAX_FILES_SHOWN + 50):
        (bulk / f"doc-{i:04d}.txt").write_text(f"doc {i}\n")
    make_backups(settings, 1)
    panel.run()
    assert not panel.exception
    shown = table_column(panel, _frame_with(panel, "sha256"), "File")
    assert len(shown) == MAX_FILES_SHOWN
    assert f"Showing the first {MAX_FILES_SHOWN:,} of " in page_text(panel)
    last = f"storage/bulk/doc-{MAX_FILES_SHOWN + 49:04d}.txt"
    assert last not in shown
    panel.text_input(key="panel_files_filter").input("storage/bulk").run()
    shown = table_column(panel, _frame_with(panel, "sha256"), "File")
    assert len(shown) == MAX_FILES_SHOWN and "Showing the first" in page_text(panel)
    panel.text_input(key="panel_files_filter").input(last).run()
    assert table_column(panel, _frame_with(panel, "sha256"), "File") == [last]
