"""The `qdrant_standin` pytest fixture: a real HTTP Qdrant stand-in on 127.0.0.1, random port.

Use it from any test folder:  `from tests.qdrant_standin.fixtures import qdrant_standin  # noqa`
in that folder's conftest.py. See server.QdrantStandin and state.Fault for the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.qdrant_standin.server import QdrantStandin


@pytest.fixture
def qdrant_standin(tmp_path: Path) -> Iterator[QdrantStandin]:
    standin = QdrantStandin(tmp_path / "qdrant-standin").start()
    try:
        yield standin
    finally:
        standin.stop()
