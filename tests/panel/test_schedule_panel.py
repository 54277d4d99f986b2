"""The panel's schedule card and alarm under AppTest, with systemctl recorded (no session)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from persistence import service
from persistence.core.settings import load_settings
from tests.conftest import AppState
from tests.engine.helpers import backdate
from tests.schedule.conftest import RecordedTool, place_recorder


def values(elements: object) -> list[str]:
    return [str(e.value) for e in elements]  # type: ignore[attr-defined]


@pytest.fixture
def systemd_session(
    panel_env: AppState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RecordedTool:
    tool = place_recorder(tmp_path / "bin", "systemctl")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("BACKUP_SCHEDULER", "systemd")
    return tool


def test_turn_on_then_off_with_one_button(
    panel_env: AppState, panel: AppTest, systemd_session: RecordedTool, tmp_path: Path
) -> None:
    units = tmp_path / "xdg" / "systemd" / "user"
    panel.run()
    assert not panel.exception
    assert any("**Off**" in s for s in values(panel.markdown))

    panel.selectbox(key="panel_schedule_every").set_value("6h").run()
    panel.button(key="panel_schedule_install").click().run()
    assert not panel.exception
    notice = " ".join(values(panel.success))
    assert "Automatic backups are on (systemd): every 6h at 03:00, 09:00, 15:00, 21:00" in notice
    assert len(list(units.glob("*.timer"))) == 1
    assert any("**On**" in s and "every 6h" in s for s in values(panel.markdown))
    assert any(call[:3] == ["--user", "enable", "--now"] for call in systemd_session.calls())

    panel.button(key="panel_schedule_remove").click().run()
    assert "Automatic backups are off." in values(panel.success)
    assert list(units.iterdir()) == []
    assert any("**Off**" in s for s in values(panel.markdown))


def test_unusable_scheduler_is_said_not_raised(
    panel_env: AppState, panel: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKUP_SCHEDULER", "launchd")
    panel.run()
    assert not panel.exception
    assert any("Not available here" in s for s in values(panel.markdown))
    assert any("only on macOS" in s for s in values(panel.caption))


def test_late_and_failing_are_prominent(
    panel_env: AppState, panel: AppTest, systemd_session: RecordedTool
) -> None:
    created = service.create_backup(panel_env.settings, prune=False)
    assert created.ok and created.backup_id
    backdate(panel_env.backup_dir / created.backup_id, datetime.now(UTC) - timedelta(days=3))
    panel.run()
    assert any(s.startswith("**Backups are late.**") for s in values(panel.warning))

    broken = load_settings(data_dir=panel_env.data_dir, qdrant_url="http://127.0.0.1:9")
    assert not service.create_backup(broken, prune=False).ok
    panel.run()
    errors = values(panel.error)
    assert any(s.startswith("**Backups are failing.**") for s in errors)
    assert not any(s.startswith("**Backups are late.**") for s in values(panel.warning))
