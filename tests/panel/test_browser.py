"""One real browser: headless Chromium clicks "Create backup now" on the served panel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from persistence import service
from tests.conftest import AppState
from tests.panel.conftest import APP, REPO_ROOT
from tests.qdrant_standin.server import QdrantStandin
from tests.support.ci import skip_unless_ci

CHROMIUM = Path("/usr/bin/chromium")
TRACKED_SCREENSHOT = REPO_ROOT / "docs" / "panel.png"
# The tracked picture changes only when someone asks for it (scripts/panel_screenshots.sh);
# a plain test run must leave the work tree as it found it.
WRITE_SCREENSHOTS_ENV = "BACKUP_WRITE_SCREENSHOTS"
# Read at import: the autouse isolated_env fixture removes every BACKUP_* variable before a test.
WRITE_REQUESTED = os.environ.get(WRITE_SCREENSHOTS_ENV)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def screenshot_path(tmp_path: Path, requested: str | None) -> Path:
    """`docs/panel.png` when asked for with BACKUP_WRITE_SCREENSHOTS=1, else a file in tmp_path."""
    if requested == "1":
        return TRACKED_SCREENSHOT
    return tmp_path / "panel.png"


@pytest.fixture
def served_panel(
    app_state: AppState, unused_port: int, qdrant_standin: QdrantStandin, tmp_path: Path
) -> Iterator[str]:
    """`streamlit run src/app.py` in its own process, on a free port, with sample state."""
    if not CHROMIUM.exists():
        skip_unless_ci(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    qdrant_standin.add_collection("docs", points=40)
    qdrant_standin.add_collection("chat_memory", points=12)
    # One earlier backup, so the table and the health row have something to show.
    earlier = service.create_backup(app_state.settings, prune=False, skip_qdrant=True)
    assert earlier.ok, earlier.error
    env = app_state.env(QDRANT_URL=qdrant_standin.url, QDRANT_API_KEY="never-shown")
    # The project's own Streamlit config, as `streamlit run` from the repository reads it.
    (tmp_path / ".streamlit").mkdir()
    shutil.copy(REPO_ROOT / ".streamlit" / "config.toml", tmp_path / ".streamlit" / "config.toml")
    log = (tmp_path / "streamlit.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP),
            "--server.headless",
            "true",
            "--server.port",
            str(unused_port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
        ],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{unused_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("streamlit did not start:\n" + (tmp_path / "streamlit.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()


def wait_for_widget_code(page: object) -> None:
    """Streamlit loads the table, chart and button code on first use and shows grey
    placeholders (stSkeleton) meanwhile: a picture waits until they are gone and a table shows."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0"
        " && document.querySelectorAll('[data-testid=\"stDataFrame\"]').length > 0",
        timeout=15_000,
    )


def test_create_backup_in_a_real_browser(
    served_panel: str, app_state: AppState, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    screenshot = screenshot_path(tmp_path, WRITE_REQUESTED)
    before = app_state.backups()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2200})
            page.goto(served_panel)
            create = page.get_by_role("button", name="Create backup now")
            expect(create).to_be_enabled(timeout=30_000)
            expect(page.get_by_text("Reachable")).to_be_visible()
            create.click()
            expect(page.get_by_text("is complete")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("2 backups", exact=False).first).to_be_visible()
            wait_for_widget_code(page)
            page.wait_for_timeout(500)  # let the table and status box settle for the picture
            # Streamlit scrolls inside its own container: clip to where the content ends.
            bottom = page.evaluate(
                "document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
                ".getBoundingClientRect().bottom"
            )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(screenshot),
                clip={"x": 0, "y": 0, "width": 1440, "height": min(2200, bottom + 16)},
            )
            body = page.inner_text("body")
        finally:
            browser.close()
    after = app_state.backups()
    assert len(after) == len(before) + 1
    assert "never-shown" not in body
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)


def test_screenshots_go_to_tmp_path_unless_asked(tmp_path: Path) -> None:
    assert screenshot_path(tmp_path, None) == tmp_path / "panel.png"
    assert screenshot_path(tmp_path, "0") == tmp_path / "panel.png"
    assert screenshot_path(tmp_path, "1") == TRACKED_SCREENSHOT
