"""Small typed wrappers the panel pages share."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def table(
    rows: Sequence[Mapping[str, object]],
    *,
    key: str | None = None,
    height: int | Literal["auto", "content"] = "auto",
) -> None:
    """A read-only `st.dataframe` of plain rows, without the index column.

    `height="content"` shows every row (no scrolling box); "auto" caps it at about ten rows.
    """
    # st.dataframe's overloads mention pandas types that pyright cannot fully resolve.
    # Streamlit's own annotations leave st.dataframe's data argument untyped.
    st.dataframe(rows, hide_index=True, key=key, height=height)  # pyright: ignore[reportUnknownMemberType]


def browser_time(when: datetime | None) -> str:
    """A time in the viewer's browser zone ('2026-11-30 14:29 CET'); UTC when it is unknown.

    The CLI shows the machine's zone; both show the same minute for the same moment.
    """
    if when is None:
        return "—"
    return when.astimezone(browser_zone()).strftime("%Y-%m-%d %H:%M %Z")


def browser_zone() -> tzinfo:
    """The viewer's time zone as the browser reports it; UTC when it reports none."""
    zone_name = st.context.timezone
    try:
        return ZoneInfo(zone_name) if zone_name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
