"""Qdrant's version rule: a snapshot restores on the same minor version or the next one."""

from __future__ import annotations


def minor_version_gap(a: str, b: str) -> int:
    """How many minor versions apart two `X.Y.Z` versions are (a major change counts as 100).

    Restoring a snapshot is supported on the same minor version or the next one, so a gap above
    one deserves a warning. Unparseable versions count as far apart.
    """
    first, second = _major_minor(a), _major_minor(b)
    if first is None or second is None:
        return 100
    if first[0] != second[0]:
        return 100
    return abs(first[1] - second[1])


def _major_minor(version: str) -> tuple[int, int] | None:
    parts = version.strip().lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None
