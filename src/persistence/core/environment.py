"""Setting values from the process environment and an optional `.env`, keyed by field name.

What pydantic-settings did for BackupSettings, in the part this tool uses: each field's
environment name (or names) from its `validation_alias`, matched case-insensitively, the process
environment winning over `.env` (parsed by python-dotenv). Importing pydantic-settings alone cost
more than the whole `list-backups` start-up budget (issue 12), for its cloud secret-manager and
CLI sources this tool never uses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

DOTENV_FILE = Path(".env")


def environment_names(info: FieldInfo) -> list[str]:
    """The environment names a field reads, in priority order (the first set one wins)."""
    alias = info.validation_alias
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return []


def values_from_environment(
    fields: Mapping[str, FieldInfo],
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = DOTENV_FILE,
) -> dict[str, str]:
    """field name -> raw value, for every field whose environment name is set.

    The process environment wins over `.env` whichever of a field's names each uses (as with
    pydantic-settings): a container's `QDRANT_COLLECTION_NAME` beats a stale `.env`'s
    `QDRANT_COLLECTIONS`.
    """
    sources = [
        _upper_keys(os.environ if environ is None else environ),
        _upper_keys(_dotenv_values(dotenv)),
    ]
    values: dict[str, str] = {}
    for name, info in fields.items():
        names = [env_name.upper() for env_name in environment_names(info)]
        found = next((source[n] for source in sources for n in names if n in source), None)
        if found is not None:
            values[name] = found
    return values


def _upper_keys(values: Mapping[str, str | None]) -> dict[str, str]:
    return {key.upper(): value for key, value in values.items() if value is not None}


def _dotenv_values(path: Path | None) -> dict[str, str | None]:
    if path is None or not path.is_file():
        return {}
    from dotenv import dotenv_values

    return dict(dotenv_values(path, encoding="utf-8"))
