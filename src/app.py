"""The backup panel: `uv run streamlit run src/app.py`.

Streamlit runs this file as a script; the pages are loaded by path from `pages/`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="Backups", page_icon=":material/backup:", layout="wide")
page = st.navigation(
    [
        st.Page(PAGES / "backups.py", title="Backups", icon=":material/backup:", default=True),
        st.Page(PAGES / "settings_page.py", title="Settings", icon=":material/settings:"),
    ],
    position="top",
)
page.run()
