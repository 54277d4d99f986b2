"""BACKUP_REMOTE parsing and the one-line errors of a remote command that cannot run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persistence.core.errors import ConfigError, ExitCode
from persistence.remote.target import RemoteKind, open_remote, parse_remote
from tests.conftest import AppState
from tests.remote.conftest import s3_env
from tests.remote.emulators import FAKE_SECRET, Emulator
from tests.support.cli import run_cli


@pytest.mark.parametrize(
    ("value", "kind", "bucket", "prefix"),
    [
        ("gs://my-bucket", RemoteKind.GCS, "my-bucket", ""),
        ("gs://my-bucket/a/b/", RemoteKind.GCS, "my-bucket", "a/b"),
        ("s3://bkt.example/backups", RemoteKind.S3, "bkt.example", "backups"),
    ],
)
def test_bucket_forms(value: str, kind: RemoteKind, bucket: str, prefix: str) -> None:
    target = parse_remote(value)
    assert target is not None
    assert (target.kind, target.bucket, target.prefix) == (kind, bucket, prefix)


def test_path_forms_and_unset() -> None:
    for value in ("/mnt/nas/backups", "file:///mnt/nas/backups"):
        target = parse_remote(value)
        assert target is not None and target.path == Path("/mnt/nas/backups")
    assert parse_remote(None) is None
    assert parse_remote("  ") is None


@pytest.mark.parametrize(
    "value",
    [
        "ftp://host/x",
        "relative/path",
        "gs://UPPER",
        "s3://b",
        "file://host/share",
        "/mnt/../etc",
        "gs://bucket/a//b",
        f"s3://AKIAFAKE:{FAKE_SECRET}@bucket/p",
    ],
)
def test_malformed_values_are_config_errors_that_never_echo_the_value(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_remote(value)
    assert caught.value.exit_code == ExitCode.USAGE
    assert FAKE_SECRET not in caught.value.message
    assert value not in caught.value.message


def test_a_missing_folder_is_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "not-mounted"
    target = parse_remote(str(missing))
    assert target is not None
    with pytest.raises(ConfigError, match="does not exist"):
        open_remote(target)
    assert not missing.exists()


def test_remote_commands_without_a_remote_say_how_to_set_it(app_state: AppState) -> None:
    env = app_state.env()
    for args in (["push-backup"], ["list-backups", "--remote"], ["pull-backup", "--latest"]):
        done = run_cli(*args, env=env)
        assert done.returncode == 2, (args, done.stderr)
        assert "BACKUP_REMOTE" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    done = run_cli("push-backup", "--json", env=env)
    assert done.returncode == 2
    assert json.loads(done.stdout)["exit_code"] == 2
    # The off-site step is refused, the local backup is still made (and says so).
    done = run_cli("create-backup", "--push", "--json", env=env)
    assert done.returncode == 2
    result = json.loads(done.stdout)
    assert result["exit_code"] == 2 and result["backup_id"] == app_state.backups()[-1]
    assert "is complete here" in result["error"] and "BACKUP_REMOTE" in result["error"]
    assert [b["valid"] for b in json.loads(run_cli("list-backups", "--json", env=env).stdout)] == [
        True
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["list-backups", "--remote"],
        ["restore-backup", "--latest", "--from-remote"],
        ["verify-backup", "--remote", "--latest"],
        ["prune-backups", "--remote", "--dry-run"],
        ["pull-backup"],  # neither an ID nor --latest: a usage error before any service runs
        ["push-backup", "--latest", "--all"],
        ["verify-backup", "--remote", "--all"],
    ],
)
def test_every_refused_remote_command_prints_one_json_document(
    app_state: AppState, args: list[str]
) -> None:
    done = run_cli(*args, "--json", env=app_state.env())
    assert done.returncode == 2, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is False
    assert document["exit_code"] == 2
    assert document["error"] == done.stderr.strip().removeprefix("error: ")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_failed_push_fails_create_but_keeps_the_backup(
    s3_server: Emulator, app_state: AppState
) -> None:
    env = app_state.env(**s3_env(s3_server.url), BACKUP_REMOTE="s3://no-such-bucket-here/p")
    done = run_cli("create-backup", "--push", "--json", env=env)
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["ok"] is False and result["backup_id"] == app_state.backups()[-1]
    assert result["remote"]["pushed"] is False
    assert "HTTP 404" in result["error"] and "NoSuchBucket" in result["error"]
    assert FAKE_SECRET not in done.stdout + done.stderr
    # One line on stderr: the SDK's INFO chatter ("Found credentials ...") stays out of it.
    assert done.stderr.strip().splitlines() == [f"error: {result['error']}"]
    listed = run_cli("list-backups", "--json", env=env)
    assert [b["valid"] for b in json.loads(listed.stdout)] == [True]
