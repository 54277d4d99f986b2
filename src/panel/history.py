"""The backups table (every backup, newest first) and the charts of size and gaps over time."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

import streamlit as st

from panel.offsite import with_location
from panel.ui import browser_time, browser_zone, table
from persistence.core.display import components_summary, human_age, human_bytes
from persistence.service import VerifyState

if TYPE_CHECKING:
    from persistence.service import BackupListing


MIB = 1024 * 1024
FLAG = "⚑"  # drawn from a common font, unlike emoji


def verification_text(item: BackupListing) -> str:
    if item.last_verify is VerifyState.DAMAGED:
        return f"{FLAG} DAMAGED ({human_age(item.last_verify_at)})"
    if item.last_verify is VerifyState.OK:
        return f"ok ({human_age(item.last_verify_at)})"
    return "never verified"


def newest_first(listings: list[BackupListing]) -> list[BackupListing]:
    return sorted(listings, key=lambda item: item.backup_id, reverse=True)


def draw_backups_table(listings: list[BackupListing]) -> None:
    backups = newest_first([item for item in listings if item.kind == "backup"])
    damaged = [item for item in backups if item.last_verify is VerifyState.DAMAGED]
    for item in damaged:
        st.error(
            f"**{item.backup_id}** failed its last verification "
            f"({browser_time(item.last_verify_at)}): do not rely on it.",
            icon=":material/flag:",
        )
    rows = [
        {
            "Backup": item.backup_id,
            "Created": browser_time(item.created_at),
            "Age": human_age(item.created_at),
            "Size": human_bytes(item.size_bytes) if item.valid else "—",
            "Components": (
                components_summary(item.components) if item.valid else f"broken: {item.problem}"
            ),
            "Verification": verification_text(item),
        }
        for item in backups
    ]
    table(with_location(rows), key="panel_table", height="content")
    undo = newest_first([item for item in listings if item.kind != "backup"])
    if undo:
        total = human_bytes(sum(item.size_bytes for item in undo))
        st.caption(
            f"Undo copies saved by restores ({len(undo)}, {total}; kept by BACKUP_KEEP_UNDO, "
            "none younger than a day is pruned)"
        )
        table(
            [
                {
                    "Undo copy": item.backup_id,
                    "Created": browser_time(item.created_at),
                    "Size": human_bytes(item.size_bytes),
                    "Components": components_summary(item.components),
                }
                for item in undo
            ],
            key="panel_undo_table",
            height="content",
        )


def draw_history_charts(listings: list[BackupListing]) -> None:
    """Growth and gaps at a glance; needs two backups to say anything."""
    backups = sorted(
        (i for i in listings if i.kind == "backup" and i.created_at is not None),
        key=lambda i: i.backup_id,
    )
    if len(backups) < 2:
        return
    zone = browser_zone()
    # Naive times in the browser's zone: the chart's axis then reads like the table.
    created = [i.created_at.astimezone(zone).replace(tzinfo=None) for i in backups if i.created_at]
    left, right = st.columns(2)
    with left:
        st.caption("Backup size (MiB)")
        sizes = [round(i.size_bytes / MIB, 2) for i in backups]
        _time_chart("line", created, sizes, "MiB")
    gaps = [
        round((later.created_at - earlier.created_at).total_seconds() / 3600, 2)
        for earlier, later in pairwise(backups)
        if later.created_at is not None and earlier.created_at is not None
    ]
    with right:
        st.caption("Hours since the previous backup")
        _time_chart("bar", created[1:], gaps, "hours")


def _time_chart(mark: str, times: list[datetime], values: list[float], label: str) -> None:
    """A small Vega-Lite chart of `values` over `times`, drawn by Streamlit's own renderer.

    A spec rather than st.line_chart: those build the chart with Altair, whose import and
    schema validation cost about half a second of the page's first render.
    """
    rows = [{"created": t.isoformat(), label: v} for t, v in zip(times, values, strict=True)]
    spec: dict[str, object] = {
        "height": 180,
        "mark": {"type": mark, "point": mark == "line", "tooltip": True},
        "encoding": {
            # Fixed formats: Vega-Lite's own pick follows the span, so backups made seconds
            # apart read ".950" under the axis and "0.000000" beside it.
            "x": {
                "field": "created",
                "type": "temporal",
                "title": None,
                # No tick finer than the labels show (one minute, in ms): else backups
                # seconds apart repeat one label.
                "axis": {"format": "%b %d %H:%M", "labelOverlap": True, "tickMinStep": 60_000},
            },
            "y": {
                "field": label,
                "type": "quantitative",
                "title": label,
                "axis": {"format": "~g"},
            },
        },
        "data": {"values": rows},
    }
    # Streamlit's own annotations leave these chart and table calls partly untyped.
    st.vega_lite_chart(spec, width="stretch")  # pyright: ignore[reportUnknownMemberType]
