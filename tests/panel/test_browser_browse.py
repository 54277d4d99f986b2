"""Headless Chromium on the served panel: the damaged flag, browse, diff, and how fast it feels.

Timings are printed (run with -s), never asserted: the machine's load is not the panel's.
Screenshots go to docs/ only with BACKUP_WRITE_SCREENSHOTS=1, else into tmp_path.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from persistence import service
from tests.conftest import AppState
from tests.panel.conftest import REPO_ROOT
from tests.panel.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PNG_SIGNATURE,
    WRITE_REQUESTED,
    served_panel,  # noqa: F401  # the fixture, shared
    wait_for_widget_code,
)

pytestmark = pytest.mark.browser

PICTURES = ("panel.png", "panel-browse.png", "panel-diff.png")


def picture(tmp_path: Path, name: str) -> Path:
    return REPO_ROOT / "docs" / name if WRITE_REQUESTED == "1" else tmp_path / name


def _damage_the_first_backup(app_state: AppState) -> str:
    first = app_state.backups()[0]
    report = app_state.backup_dir / first / "uploads" / "2026" / "11" / "report.pdf"
    report.chmod(0o600)
    report.write_bytes(b"%PDF tampered")
    assert not service.verify_backup(app_state.settings, first).ok
    return first


def _shot(page: object, path: Path) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    wait_for_widget_code(page)
    page.wait_for_timeout(300)  # let charts and tables settle for the picture
    bottom = page.evaluate(
        "document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
        ".getBoundingClientRect().bottom"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(path),
        full_page=False,
        clip={"x": 0, "y": 0, "width": 1440, "height": min(4000, bottom + 16)},
    )


def _wait_until_idle(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)


def test_flag_browse_and_diff_in_a_real_browser(
    served_panel: str,  # noqa: F811  # the fixture imported above
    app_state: AppState,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    damaged = _damage_the_first_backup(app_state)
    (app_state.settings.resolved().storage_dir / "docstore.json").write_text('{"docs": {}}\n')
    second = service.create_backup(app_state.settings, prune=False, skip_qdrant=True)
    assert second.ok
    timings: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(
                viewport={"width": 1440, "height": 4000}, timezone_id="Asia/Tokyo"
            )
            clock = time.monotonic()
            page.goto(served_panel)
            expect(page.get_by_role("button", name="Create backup now")).to_be_enabled(
                timeout=60_000
            )
            expect(page.get_by_text("failed its last verification")).to_be_visible()
            timings["first render (create enabled, flag shown)"] = time.monotonic() - clock
            flag = page.get_by_text("failed its last verification")
            assert damaged in flag.inner_text()
            # The project's config hides Streamlit's developer chrome, and the primary action
            # is blue (#1f6feb), not Streamlit's danger-like default red.
            expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
            create = page.get_by_role("button", name="Create backup now")
            colour = create.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour == "rgb(31, 111, 235)", colour
            _shot(page, picture(tmp_path, PICTURES[0]))

            page.get_by_text("Files in this backup").click()
            box = page.get_by_role("textbox", name="Only under")
            clock = time.monotonic()
            box.fill("storage/notes")
            box.press("Enter")
            download = page.get_by_role("button", name="Download résumé – 日本語.md", exact=False)
            expect(download).to_be_visible(timeout=30_000)
            timings["browse filter -> download button"] = time.monotonic() - clock
            with page.expect_download() as caught:
                clock = time.monotonic()
                download.click()
            saved = tmp_path / "downloaded.md"
            caught.value.save_as(saved)
            timings["download click -> file"] = time.monotonic() - clock
            source = app_state.settings.resolved().storage_dir / "notes" / "résumé – 日本語.md"
            assert saved.read_bytes() == source.read_bytes()
            _shot(page, picture(tmp_path, PICTURES[1]))

            page.get_by_text("What changed").click()
            # A click that lands while the page is still re-running (after the download) can
            # be dropped by Streamlit: wait until the script is idle, as a user's eye would.
            _wait_until_idle(page)
            clock = time.monotonic()
            page.get_by_role("button", name="Compare").click()
            expect(
                page.get_by_text("Changes from").or_(page.get_by_text("No differences"))
            ).to_be_visible(timeout=30_000)
            timings["compare click -> diff shown"] = time.monotonic() - clock
            _shot(page, picture(tmp_path, PICTURES[2]))

            clock = time.monotonic()
            page.get_by_role("button", name="Create backup now").click()
            expect(page.get_by_text("Creating a backup").first).to_be_visible(timeout=30_000)
            timings["create click -> progress shown"] = time.monotonic() - clock
            expect(page.get_by_text("is complete")).to_be_visible(timeout=60_000)
            timings["create click -> complete"] = time.monotonic() - clock
            body = page.inner_text("body")
        finally:
            browser.close()
    for what, seconds in timings.items():
        print(f"PANEL TIMING {what}: {seconds:.2f} s")
    assert "JST" in body  # times in the browser's zone
    assert "never-shown" not in body
    for name in PICTURES:
        assert picture(tmp_path, name).read_bytes().startswith(PNG_SIGNATURE)
