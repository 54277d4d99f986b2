"""Human-readable sizes, ages, health and progress text shared by the CLI and the panel.

No Streamlit and no terminal here, so every rule the shells show can be unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum

from persistence.core.progress import ProgressEvent

COMPONENT_LABELS: dict[str, str] = {
    "cache_db": "Cache database",
    "storage": "Storage",
    "uploads": "Uploads",
    "analytics_db": "Analytics database",
    "logs": "Logs",
    "qdrant": "Qdrant",
    "push": "Off-site upload",  # the progress stage of push-backup
}

# Below this many multiples of the expected interval the badge is amber, above it red.
AMBER_FACTOR = 2.0


class Health(StrEnum):
    GOOD = "good"
    LATE = "late"
    STALE = "stale"
    NONE = "none"

    @property
    def colour(self) -> str:
        """A colour name Streamlit's markdown understands (`:green[...]`)."""
        return {"good": "green", "late": "orange", "stale": "red", "none": "red"}[self.value]

    @property
    def icon(self) -> str:
        """A Material icon name (Streamlit ships the font, no emoji font needed)."""
        return {
            "good": ":material/check_circle:",
            "late": ":material/schedule:",
            "stale": ":material/error:",
            "none": ":material/error:",
        }[self.value]


_BEYOND_ANY_DISK = 1024**7


def human_bytes(size: int | float | None) -> str:
    """1536 -> '1.5 KiB'; None -> '—' (unknown)."""
    if size is None:
        return "—"
    if size >= _BEYOND_ANY_DISK:  # a planted cache or manifest: shown, never a crash
        return "more than 1 ZiB"
    value = float(size)
    if value < 1024:
        return f"{int(value)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        value /= 1024
        if value < 1024 or unit == "EiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def human_duration(seconds: float) -> str:
    """A coarse, readable length of time: '0.4 s', '42 s', '5 min', '3 h 10 min', '2 days'."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    if days < 14:
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {hours} h" if hours and days < 3 else f"{days} {unit}"
    weeks = days // 7
    return f"{weeks} weeks"


def human_age(when: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '2 days ago'; '—' for None."""
    if when is None:
        return "—"
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 0:
        return "in the future (check the clock)"
    if seconds < 10:
        return "just now"
    return f"{human_duration(seconds)} ago"


def human_time(when: datetime | None) -> str:
    """'2026-11-21 22:49 UTC'; '—' for None."""
    if when is None:
        return "—"
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def backup_health(
    last_success: datetime | None, expected_interval_hours: float, now: datetime | None = None
) -> Health:
    """Green within the expected interval, amber up to twice that, red beyond (or never)."""
    if last_success is None:
        return Health.NONE
    age_hours = ((now or datetime.now(UTC)) - last_success).total_seconds() / 3600
    if age_hours <= expected_interval_hours:
        return Health.GOOD
    if age_hours <= expected_interval_hours * AMBER_FACTOR:
        return Health.LATE
    return Health.STALE


def health_sentence(health: Health, expected_interval_hours: float) -> str:
    expected = human_duration(expected_interval_hours * 3600)
    return {
        Health.GOOD: f"within the expected interval ({expected})",
        Health.LATE: f"older than the expected interval ({expected})",
        Health.STALE: f"more than twice the expected interval ({expected}): back up now",
        Health.NONE: "no successful backup yet",
    }[health]


def component_label(name: str) -> str:
    return COMPONENT_LABELS.get(name, name)


def components_summary(components: Mapping[str, str]) -> str:
    """'cache_db, storage, uploads' for what was captured; skipped ones after a dot."""
    captured = [name for name, status in components.items() if status == "captured"]
    others = [f"{name} {status}" for name, status in components.items() if status != "captured"]
    text = ", ".join(captured) or "nothing captured"
    if others:
        text += " · " + ", ".join(others)
    return text


def progress_fraction(done: int, total: int | None) -> float | None:
    """Fraction for a progress bar, clamped to [0, 1]; None when the total is unknown."""
    if not total or total <= 0:
        return None
    return min(1.0, max(0.0, done / total))


def progress_text(event: ProgressEvent) -> str:
    """'12.0 MiB of 32.0 MiB · 3/4 files' for one component's latest progress event."""
    size = human_bytes(event.bytes_done)
    if event.bytes_total:
        size += f" of {human_bytes(event.bytes_total)}"
    files = f"{event.files_done}"
    if event.files_total is not None:
        files += f"/{event.files_total}"
    count = event.files_total if event.files_total is not None else event.files_done
    noun = "file" if count == 1 else "files"
    text = f"{size} · {files} {noun}"
    if event.message:
        text += f" · {event.message}"
    return text


def local_time(when: datetime | None, *, seconds: bool = False) -> str:
    """'2026-11-21 23:49 CET' in this machine's zone (the CLI's); '—' for None."""
    if when is None:
        return "—"
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
