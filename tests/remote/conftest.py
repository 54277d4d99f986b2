"""Fixtures: the three remotes (folder, GCS emulator, moto S3) behind one parametrized fixture."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from persistence.remote.base import Remote
from persistence.remote.retry import RetryPolicy
from persistence.remote.target import open_remote, parse_remote
from tests.remote.emulators import (
    FAKE_KEY_ID,
    FAKE_SECRET,
    GCS_BUCKET,
    S3_BUCKET,
    Emulator,
    gcs_emulator,
    s3_emulator,
)

REMOTE_KINDS = ["folder", "gcs", "s3"]
FAST_RETRY = RetryPolicy(attempts=4, deadline_seconds=20.0, first_delay=0.05, request_timeout=5.0)
_prefixes = itertools.count()


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with gcs_emulator(tmp_path_factory.mktemp("gcs") / "emulator.log") as emulator:
        yield emulator


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with s3_emulator(tmp_path_factory.mktemp("s3") / "emulator.log") as emulator:
        yield emulator


@dataclass(frozen=True)
class RemoteSetup:
    kind: str
    url: str  # the BACKUP_REMOTE value
    env: dict[str, str]  # what a subprocess needs to reach it

    def open(self, policy: RetryPolicy = FAST_RETRY) -> Remote:
        target = parse_remote(self.url)
        assert target is not None
        return open_remote(target, policy)


def gcs_env(endpoint: str) -> dict[str, str]:
    return {"STORAGE_EMULATOR_HOST": endpoint, "GOOGLE_CLOUD_PROJECT": "test-project"}


def s3_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_REGION": "us-east-1",
    }


def make_setup(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, endpoint: str | None = None
) -> RemoteSetup:
    prefix = f"run{next(_prefixes)}-{tmp_path.name}"
    if kind == "folder":
        root = tmp_path / "offsite"
        root.mkdir()
        return RemoteSetup(kind, str(root), {})
    if kind == "gcs":
        server: Emulator = request.getfixturevalue("gcs_server")
        return RemoteSetup(kind, f"gs://{GCS_BUCKET}/{prefix}", gcs_env(endpoint or server.url))
    server = request.getfixturevalue("s3_server")
    return RemoteSetup(kind, f"s3://{S3_BUCKET}/{prefix}", s3_env(endpoint or server.url))


@pytest.fixture(params=REMOTE_KINDS)
def remote_setup(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RemoteSetup:
    setup = make_setup(str(request.param), tmp_path, request)
    for name, value in setup.env.items():
        monkeypatch.setenv(name, value)
    return setup


@pytest.fixture
def remote(remote_setup: RemoteSetup) -> Remote:
    return remote_setup.open()
