"""The settings the panel runs with, as the environment gives them; secrets never shown."""

from __future__ import annotations

import streamlit as st

from panel.jobs import load_panel_settings
from panel.ui import table
from persistence.core.errors import BackupError
from persistence.core.settings import BackupSettings

ENV_NAMES: dict[str, str] = {
    name: str(info.validation_alias)
    for name, info in BackupSettings.model_fields.items()
    if isinstance(info.validation_alias, str)
}


def main() -> None:
    st.title("Settings")
    st.caption(
        "Read from the environment (and a `.env` file in the folder the panel was started "
        "from). Change them there and restart the panel. The API key is only shown as set "
        "or not set."
    )
    try:
        settings = load_panel_settings()
    except BackupError as exc:
        st.error(exc.message, icon=":material/error:")
        st.stop()
    shown = settings.redacted()
    rows = [
        {
            "Setting": ENV_NAMES.get(name, name),
            "Value": "(default)" if value is None else value,
        }
        for name, value in shown.items()
    ]
    table(rows, height="content")
    paths = settings.resolved()
    st.subheader("Resolved locations")
    table(
        [
            {"What": "Data root", "Path": str(paths.data_dir)},
            {"What": "Backups", "Path": str(paths.backup_dir)},
            {"What": "Cache database", "Path": str(paths.cache_db)},
            {"What": "Storage", "Path": str(paths.storage_dir)},
            {"What": "Uploads", "Path": str(paths.uploads_dir)},
            {"What": "Analytics database", "Path": str(paths.analytics_db)},
            {"What": "Logs", "Path": str(paths.logs_dir)},
        ],
        height="content",
    )


main()
