"""Off-site copies on the panel, against a real folder remote and real pushes by the service."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Progress

from persistence import service
from persistence.core.settings import BackupSettings, load_settings
from tests.conftest import AppState
from tests.panel.conftest import wait_for_job

CHECK_KEY = "panel_offsite_check"


def values(elements: object) -> list[str]:
    return [str(e.value) for e in elements]  # type: ignore[attr-defined]


def where(app: AppTest) -> dict[str, str]:
    """The backups table's Where column, by backup id."""
    for frame in app.dataframe:
        table = frame.value
        if "Where" in table.columns:
            return dict(zip(table["Backup"].tolist(), table["Where"].tolist(), strict=True))
    raise AssertionError("no table with a Where column on the page")


def wait_for_check(app: AppTest, timeout: float = 30) -> None:
    """Rerun (as the page's polling fragment would) until the remote listing has answered."""
    deadline = time.monotonic() + timeout
    while not app.session_state[CHECK_KEY].done:
        assert time.monotonic() < deadline, "the off-site check did not answer in time"
        time.sleep(0.1)
    app.run()


@pytest.fixture
def remote_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "offsite"
    folder.mkdir()
    monkeypatch.setenv("BACKUP_REMOTE", str(folder))
    return folder


@pytest.fixture
def settings(panel_env: AppState, remote_dir: Path) -> BackupSettings:
    return load_settings()  # the same environment the panel reads


def create(settings: BackupSettings, count: int) -> list[str]:
    ids: list[str] = []
    for _ in range(count):
        result = service.create_backup(settings, prune=False)
        assert result.ok, result.error
        assert result.backup_id is not None
        ids.append(result.backup_id)
    return ids


def push(settings: BackupSettings, backup_id: str) -> None:
    result = service.push_backup(settings, backup_id)
    assert result.ok, result.error
    assert result.objects_sent > 0


def remote_complete(settings: BackupSettings) -> list[str]:
    return [b.backup_id for b in service.list_remote_backups(settings) if b.valid]


def test_location_column_this_disk_both_then_off_site(
    settings: BackupSettings, panel_env: AppState, panel: AppTest
) -> None:
    older, newer = create(settings, 2)
    push(settings, newer)

    panel.run()
    assert not panel.exception
    assert where(panel) == {older: "this disk", newer: "both"}

    shutil.rmtree(panel_env.backup_dir / newer)  # the disk lost it; the remote still has it
    panel.run()
    assert not panel.exception
    assert where(panel) == {older: "this disk", newer: "off-site"}


def test_without_a_remote_the_table_has_no_location(panel_env: AppState, panel: AppTest) -> None:
    create(load_settings(), 1)
    panel.run()
    assert not panel.exception
    assert all("Where" not in frame.value.columns for frame in panel.dataframe)
    assert not any("Off-site" in text for text in values(panel.caption))
    assert not [b for b in panel.button if b.key == "panel_push"]


def test_push_now_puts_the_selected_backup_off_site(
    settings: BackupSettings, panel: AppTest
) -> None:
    (backup_id,) = create(settings, 1)
    panel.run()
    assert where(panel) == {backup_id: "this disk"}
    assert any("No complete backup off-site yet" in text for text in values(panel.caption))

    panel.button(key="panel_push").click().run()
    wait_for_job(panel)

    assert not panel.exception
    assert remote_complete(settings) == [backup_id]
    assert any(f"**{backup_id}** is off-site at" in text for text in values(panel.success))
    bars = {b.proto.text: b.value for b in panel.get("progress") if isinstance(b, Progress)}
    assert any(text.startswith("Off-site upload: ") and v == 100 for text, v in bars.items())
    assert where(panel) == {backup_id: "both"}  # the finished push made the panel read again


def test_health_card_names_the_newest_remote_backup(
    settings: BackupSettings, panel: AppTest
) -> None:
    first, second = create(settings, 2)
    push(settings, first)
    push(settings, second)

    panel.run()
    assert not panel.exception
    markdown = "\n".join(values(panel.markdown))
    assert ":green[**Reachable**]" in markdown
    assert "2 complete backups" in markdown
    assert f"Newest off-site: **{second}**" in markdown
    assert "just now" in markdown or "min ago" in markdown or "s ago" in markdown


def test_unreachable_remote_is_one_clear_message(
    tmp_path: Path, panel_env: AppState, monkeypatch: pytest.MonkeyPatch, panel: AppTest
) -> None:
    create(load_settings(), 1)
    monkeypatch.setenv("BACKUP_REMOTE", str(tmp_path / "unmounted-disk"))
    panel.run()
    assert not panel.exception
    assert any("Unreachable" in text for text in values(panel.markdown))
    (warning,) = [w for w in values(panel.warning) if "off-site copy cannot be reached" in w]
    assert "does not exist" in warning
    assert set(where(panel).values()) == {"this disk · off-site unknown"}
    assert not (tmp_path / "unmounted-disk").exists()  # never created on the system disk


def test_a_remote_that_does_not_answer_never_holds_the_page(
    panel_env: AppState,
    unused_port: int,
    monkeypatch: pytest.MonkeyPatch,
    panel: AppTest,
) -> None:
    """S3 endpoint refusing connections: the page draws at once, then shows the failure."""
    create(load_settings(), 1)
    monkeypatch.setenv("BACKUP_REMOTE", "s3://panel-bucket/app")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{unused_port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEPANELKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-never-shown")
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    started = time.monotonic()
    panel.run()
    took = time.monotonic() - started
    assert not panel.exception
    assert took < 10, f"the first render took {took:.1f}s"

    wait_for_check(panel)
    assert any("Unreachable" in text for text in values(panel.markdown))
    assert any("off-site copy cannot be reached" in w for w in values(panel.warning))
    page = "\n".join(values(panel.warning) + values(panel.markdown) + values(panel.caption))
    assert "fake-secret-never-shown" not in page and "AKIAFAKEPANELKEY" not in page


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_a_stalled_remote_shows_checking_without_holding_the_page(
    panel_env: AppState, silent_port: int, monkeypatch: pytest.MonkeyPatch, panel: AppTest
) -> None:
    (backup_id,) = create(load_settings(), 1)
    monkeypatch.setenv("BACKUP_REMOTE", "s3://panel-bucket/app")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent_port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEPANELKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-never-shown")
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    for _ in range(2):  # the first render starts the check, the second finds it still running
        started = time.monotonic()
        panel.run()
        took = time.monotonic() - started
        assert not panel.exception
        assert took < 4, f"a render took {took:.1f}s"
        assert any("Checking…" in text for text in values(panel.markdown))
        assert panel.button(key="panel_offsite_refresh").disabled
        assert where(panel) == {backup_id: "this disk · off-site unknown"}
        assert not panel.session_state[CHECK_KEY].done


def test_remote_prune_preview_then_apply(
    settings: BackupSettings, monkeypatch: pytest.MonkeyPatch, panel: AppTest
) -> None:
    ids = create(settings, 3)
    for backup_id in ids:
        push(settings, backup_id)  # default retention (keep 7) keeps all three off-site
    monkeypatch.setenv("BACKUP_REMOTE_KEEP_LAST", "1")

    panel.run()
    assert not panel.exception
    assert any("BACKUP_REMOTE_KEEP_LAST" in text for text in values(panel.caption))
    panel.button(key="panel_rprune_preview_button").click().run()
    assert not panel.exception
    (warning,) = [w for w in values(panel.warning) if "would be deleted" in w]
    assert "2 off-site backup(s) would be deleted" in warning
    assert remote_complete(settings) == ids  # a preview deletes nothing
    apply = panel.button(key="panel_rprune_apply")
    assert apply.disabled  # not before the confirmation

    panel.checkbox(key="panel_rprune_confirm").check().run()
    panel.button(key="panel_rprune_apply").click().run()
    assert not panel.exception
    assert any("Deleted 2 old off-site backups" in text for text in values(panel.success))
    assert remote_complete(settings) == [ids[-1]]
    wait_for_check(panel)
    assert where(panel) == {ids[0]: "this disk", ids[1]: "this disk", ids[2]: "both"}
