"""Missing test prerequisites: a skip on a developer's machine, a failure in CI.

`.ci/run` installs every Debian package the tests need; under CI=true a missing one means a
broken CI setup, and a silent skip would report a green run that checked nothing.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

CI_VALUES = {"true", "1", "yes"}


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def skip_unless_ci(message: str) -> NoReturn:
    """Skip the test, or fail it under CI=true (where the prerequisite must be there)."""
    if running_in_ci():
        pytest.fail(f"{message} (CI=true: this cannot be skipped)")
    pytest.skip(message)
