"""Manifest and result models build their validators on first use (start-up time, issue 12).

Each check runs in a fresh interpreter, where nothing has been validated yet.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from persistence import service
from persistence.store.listing_cache import CACHE_NAME
from tests.conftest import AppState


def _fresh_python(code: str, app_state: AppState) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=app_state.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_threads_that_first_validate_a_manifest_together_all_get_it_right(
    app_state: AppState,
) -> None:
    """A create's copy threads or the panel's jobs may be the first to validate one."""
    backup_id = service.create_backup(app_state.settings).backup_id
    manifest = app_state.backup_dir / str(backup_id) / "manifest.json"
    out = _fresh_python(
        f"""
        from concurrent.futures import ThreadPoolExecutor
        from pathlib import Path
        from persistence.store.manifest import Manifest

        data = Path({str(manifest)!r}).read_bytes()
        assert not Manifest.__pydantic_complete__
        with ThreadPoolExecutor(16) as pool:
            parsed = list(pool.map(lambda _: Manifest.model_validate_json(data), range(64)))
        print(len({{p.model_dump_json() for p in parsed}}), len(parsed[0].components))
        """,
        app_state,
    )
    distinct, components = out.split()
    assert distinct == "1"
    assert int(components) >= 4


def test_a_listing_served_from_the_cache_builds_no_manifest_validator(
    app_state: AppState,
) -> None:
    service.create_backup(app_state.settings)
    out = _fresh_python(
        """
        from persistence import service
        from persistence.core.settings import load_settings
        from persistence.store.manifest import Manifest

        listings = service.list_backups(load_settings())
        print(len(listings), listings[0].valid, Manifest.__pydantic_complete__)
        """,
        app_state,
    )
    assert out == "1 True False"


def test_a_listing_without_its_cache_does_validate(app_state: AppState) -> None:
    """The check above can fail: with the cache gone, the manifest is validated afresh."""
    service.create_backup(app_state.settings)
    (app_state.backup_dir / CACHE_NAME).unlink()
    out = _fresh_python(
        """
        from persistence import service
        from persistence.core.settings import load_settings
        from persistence.store.manifest import Manifest

        listings = service.list_backups(load_settings())
        print(len(listings), listings[0].valid, Manifest.__pydantic_complete__)
        """,
        app_state,
    )
    assert out == "1 True True"
