"""Pure formatting rules of the panel: sizes, ages, the health colour, progress text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persistence.core.display import (
    Health,
    backup_health,
    components_summary,
    human_age,
    human_bytes,
    human_duration,
    human_time,
    progress_fraction,
    progress_text,
)
from persistence.core.progress import ProgressEvent, ProgressStage
from persistence.core.settings import load_settings
from persistence.monitoring.health import QdrantMode, qdrant_health
from tests.qdrant_standin.server import QdrantStandin

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (32 * 1024 * 1024, "32.0 MiB"),
        (3 * 1024**4, "3.0 TiB"),
        (5000 * 1024**4, "4.9 PiB"),
        (3 * 1024**6, "3.0 EiB"),
        (1024**7, "more than 1 ZiB"),
        (10**400, "more than 1 ZiB"),  # planted in a cache: float() of it overflows
    ],
)
def test_human_bytes(size: int | None, text: str) -> None:
    assert human_bytes(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.25, "0.2 s"),
        (42, "42 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (3600 + 600, "1 h 10 min"),
        (86400, "1 day"),
        (86400 + 5 * 3600, "1 day 5 h"),
        (5 * 86400 + 3600, "5 days"),
        (30 * 86400, "4 weeks"),
        (-5, "0.0 s"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_human_age_and_time() -> None:
    assert human_age(None) == "—"
    assert human_age(NOW - timedelta(seconds=3), NOW) == "just now"
    assert human_age(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert human_age(NOW - timedelta(days=2), NOW) == "2 days ago"
    assert human_age(NOW + timedelta(hours=1), NOW) == "in the future (check the clock)"
    assert human_time(NOW) == "2026-11-21 12:00 UTC"
    assert human_time(None) == "—"


@pytest.mark.parametrize(
    ("age_hours", "expected"),
    [(1, Health.GOOD), (24, Health.GOOD), (25, Health.LATE), (48, Health.LATE), (49, Health.STALE)],
)
def test_health_colour_against_the_expected_interval(age_hours: float, expected: Health) -> None:
    last = NOW - timedelta(hours=age_hours)
    assert backup_health(last, 24.0, NOW) is expected


def test_health_colours() -> None:
    assert backup_health(None, 24.0, NOW) is Health.NONE
    assert [h.colour for h in Health] == ["green", "orange", "red", "red"]


def test_components_summary() -> None:
    assert components_summary({"cache_db": "captured", "storage": "captured"}) == (
        "cache_db, storage"
    )
    assert components_summary({"uploads": "captured", "qdrant": "skipped"}) == (
        "uploads · qdrant skipped"
    )
    assert components_summary({}) == "nothing captured"


def test_progress_fraction_and_text() -> None:
    assert progress_fraction(5, 10) == 0.5
    assert progress_fraction(15, 10) == 1.0
    assert progress_fraction(5, None) is None
    assert progress_fraction(5, 0) is None
    event = ProgressEvent(
        ProgressStage.COMPONENT_ADVANCED,
        "uploads",
        bytes_done=1024,
        bytes_total=2048,
        files_done=1,
        files_total=4,
    )
    assert progress_text(event) == "1.0 KiB of 2.0 KiB · 1/4 files"
    single = ProgressEvent(ProgressStage.COMPONENT_FINISHED, "cache_db", files_done=1)
    assert progress_text(single) == "0 B · 1 file"


def test_qdrant_health_modes() -> None:
    assert qdrant_health(load_settings(data_dir="d")).mode is QdrantMode.NOT_CONFIGURED
    embedded = qdrant_health(load_settings(data_dir="d", qdrant_path="vectors"))
    assert embedded.mode is QdrantMode.EMBEDDED
    assert embedded.error == "the folder does not exist yet"


def test_qdrant_health_refused_names_the_problem_without_the_key(unused_port: int) -> None:
    settings = load_settings(
        data_dir="d", qdrant_url=f"http://127.0.0.1:{unused_port}", qdrant_api_key="s3cret-key"
    )
    health = qdrant_health(settings)
    assert health.mode is QdrantMode.SERVER
    assert health.reachable is False
    assert health.error is not None and "cannot connect" in health.error
    assert "s3cret-key" not in health.describe()


def test_qdrant_health_reachable(qdrant_standin: QdrantStandin) -> None:
    qdrant_standin.add_collection("docs")
    qdrant_standin.add_collection("chat")
    health = qdrant_health(load_settings(data_dir="d", qdrant_url=qdrant_standin.url))
    assert health.reachable is True
    assert health.version == qdrant_standin.state.version
    assert health.collections == ("chat", "docs")
    assert "2 collections: chat, docs" in health.describe()
