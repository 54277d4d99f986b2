"""The benchmarks keep every round's copies until they end: a run that cannot fit is refused
before anything is timed, not part-way through on a filling disk."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.cli import REPO_ROOT

MIB = 1024 * 1024


def _benchmark(name: str) -> ModuleType:
    folder = str(REPO_ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)  # they import each other by their bare names
    return importlib.import_module(name)


def test_space_and_time_counts_the_peak_rss_states_beside_the_rounds() -> None:
    space = _benchmark("space_and_time")
    needed = space.room_for_rounds(100 * MIB, 3, [0.05, 0.2])
    largest_state = int(0.2 * 2048 * MIB)  # built, then backed up, beside the rounds' copies
    assert needed >= 3 * 3 * 100 * MIB + 2 * largest_state


def test_compare_revisions_counts_a_full_copy_per_version_per_round() -> None:
    compare = _benchmark("compare_revisions")
    assert compare.room_needed(100 * MIB, 8) >= (2 * 8 + 2) * 100 * MIB


def test_a_run_larger_than_the_free_space_is_refused_naming_the_folder(tmp_path: Path) -> None:
    space = _benchmark("space_and_time")
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(SystemExit, match=str(tmp_path)):
        space.check_room(tmp_path, free, "3 rounds")
    space.check_room(tmp_path, MIB, "3 rounds")
