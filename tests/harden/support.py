"""A finished backup made by the real CLI, and raw (hostile) edits to its manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, sidecar_text
from tests.conftest import AppState
from tests.support.cli import run_cli


def make_backup(app_state: AppState) -> Path:
    proc = run_cli("create-backup", "--json", "--no-prune", env=app_state.env())
    assert proc.returncode == 0, proc.stderr
    return Path(json.loads(proc.stdout)["path"])


def raw_manifest(backup: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((backup / MANIFEST_NAME).read_bytes())
    return loaded


def write_signed(backup: Path, manifest: dict[str, Any]) -> None:
    """Write a manifest and a matching hash file: what a tamperer who read the code would do."""
    data = json.dumps(manifest, indent=2).encode()  # allow_nan: NaN is written as a bare NaN
    (backup / MANIFEST_NAME).write_bytes(data)
    (backup / SIDECAR_NAME).write_text(sidecar_text(data))


def entry(manifest: dict[str, Any], component: str, kind: str) -> dict[str, Any]:
    for item in manifest["components"]:
        if item["name"] == component:
            for record in item["files"]:
                if record["kind"] == kind:
                    found: dict[str, Any] = record
                    return found
    raise AssertionError(f"no {kind} in {component}")


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]
