"""Small typed wrappers the panel pages share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st


def table(rows: Sequence[Mapping[str, object]], *, key: str | None = None) -> None:
    """A read-only `st.dataframe` of plain rows, without the index column."""
    # st.dataframe's overloads mention pandas types that pyright cannot fully resolve.
    st.dataframe(rows, hide_index=True, key=key)  # pyright: ignore[reportUnknownMemberType]
