"""Hypothesis mutates a valid, re-signed manifest; verify and restore --dry-run must answer with
exit 4 (damaged) or 2 (unusable input): never a traceback, never a write anywhere, and exit 0
only when every change kept the manifest valid (an in-range mode or mtime, re-signed).

In-process through Typer's runner (the same application the script runs) so that hundreds of
examples fit in seconds; the real-process cases are in test_hostile_manifests.py.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from persistence.backup.sample_state import create_sample_state
from persistence.cli import full_app
from persistence.core.settings import load_settings
from persistence.service import create_backup
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME
from tests.harden.support import raw_manifest, write_signed
from tests.support.trees import tree_digest


class Made:
    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        settings_ = load_settings(data_dir=self.data)
        create_sample_state(settings_.resolved(), large_file_mib=1)
        result = create_backup(settings_, prune=False)
        assert result.ok and result.path
        self.backup = Path(result.path)
        self.manifest = raw_manifest(self.backup)
        self.original = (self.backup / MANIFEST_NAME).read_bytes()
        self.sidecar = (self.backup / SIDECAR_NAME).read_bytes()
        self.env = {"BACKUP_DATA_DIR": str(self.data)}

    def reset(self) -> None:
        (self.backup / MANIFEST_NAME).write_bytes(self.original)
        (self.backup / SIDECAR_NAME).write_bytes(self.sidecar)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    yield Made(tmp_path_factory.mktemp("fuzz"))


HOSTILE_VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "/etc/passwd",
            "../../outside",
            "a/../../b",
            "x\x00y",
            "a" * 5000,
            "é" * 200,
            "",
            ".",
            "a//b",
            "\\windows\\path",
            None,
            [],
            {},
            True,
        ]
    ),
    st.text(max_size=40),
)
FIELDS = st.sampled_from(["path", "kind", "size", "sha256", "mode", "mtime", "link_target"])


def _in_range_metadata(field: str, value: object) -> bool:
    """A mode or mtime the model accepts: a different but valid backup (re-signed, so verify
    cannot tell), where exit 0 is right."""
    if field == "mode":
        return type(value) is int and 0 <= value <= 0o1777
    if field == "mtime":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return math.isfinite(value) and -(2**31) <= value <= 253_402_300_799
    return False


def _mutate(manifest: dict[str, Any], data: st.DataObject) -> tuple[dict[str, Any], bool]:
    """A mutated copy, and whether every change kept it valid (see `_in_range_metadata`)."""
    mutated = copy.deepcopy(manifest)
    components = [c for c in mutated["components"] if c["files"]]
    component = data.draw(st.sampled_from(components))
    record = data.draw(st.sampled_from(component["files"]))
    original = dict(record)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        field = data.draw(FIELDS)
        value = data.draw(HOSTILE_VALUES)
        if value == record.get(field):
            value = "changed-" + str(value)
        record[field] = value
    # Judged on the final record: a later draw may put a field back to its original value.
    changed = {f: v for f, v in record.items() if f not in original or original[f] != v}
    still_valid = all(_in_range_metadata(f, v) for f, v in changed.items())
    return mutated, still_valid


# What verify legitimately writes: its run record and the lock files.
_RUN_FILES = ("runs.json", ".backup.lock", ".backup.lock.holder.json")


def _sentinels(made: Made) -> dict[str, str]:
    digest = tree_digest(made.data.parent)
    return {k: v for k, v in digest.items() if not k.endswith(_RUN_FILES) and k != "data/backups"}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking re-runs the CLI: minutes
)
@given(data=st.data())
def test_mutated_manifests_never_pass_or_crash(made: Made, data: st.DataObject) -> None:
    runner = CliRunner()
    mutated, still_valid = _mutate(made.manifest, data)
    allowed = (0, 2, 4) if still_valid else (2, 4)
    try:
        write_signed(made.backup, mutated)
        before = _sentinels(made)
        for args in (
            ["verify-backup", made.backup.name, "--json"],
            ["restore-backup", made.backup.name, "--dry-run", "--json"],
        ):
            result = runner.invoke(full_app(), args, env=made.env)
            assert result.exit_code in allowed, (args, result.exit_code, result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert "Traceback" not in result.output
            document = json.loads(result.stdout)
            assert document["ok"] is (result.exit_code == 0)
        assert _sentinels(made) == before  # nothing written, inside or outside the data root
    finally:
        made.reset()
