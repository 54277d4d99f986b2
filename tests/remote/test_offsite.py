"""Push, list, pull, verify and prune against every remote kind, with real backups."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from persistence.core.errors import BackupError
from persistence.offsite.layout import PRUNING_MARKER, backup_base, data_objects
from persistence.offsite.listing import find_remote, scan_remote
from persistence.offsite.prune import prune_remote
from persistence.offsite.pull import pull_backup
from persistence.offsite.push import push_backup
from persistence.offsite.verify import verify_remote
from persistence.remote.base import Remote
from persistence.retention.policy import RetentionPolicy
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, load_manifest
from persistence.verify.run import verify_loaded
from tests.conftest import AppState
from tests.remote.conftest import FAST_RETRY, RemoteSetup
from tests.remote.helpers import files_of, make_backup


def test_push_then_push_again_sends_nothing(remote: Remote, app_state: AppState) -> None:
    backup = make_backup(app_state.settings)
    total = len(data_objects(backup.manifest)) + 2
    first = push_backup(remote, backup)
    assert first.pushed
    assert (first.objects_sent, first.objects_skipped) == (total, 0)
    assert first.bytes_sent >= backup.manifest.total_bytes
    listed = scan_remote(remote)
    assert [(b.backup_id, b.complete, b.problem) for b in listed] == [
        (backup.backup_id, True, None)
    ]
    assert listed[0].base == backup_base(backup.backup_id, backup.created_at)
    again = push_backup(remote, backup)
    assert (again.objects_sent, again.bytes_sent, again.objects_skipped) == (0, 0, total)


def test_round_trip_pull_is_byte_identical_and_verifies(
    remote: Remote, app_state: AppState, tmp_path: Path
) -> None:
    backup = make_backup(app_state.settings)
    original = files_of(backup.path)
    push_backup(remote, backup)
    shutil.rmtree(backup.path)
    found = find_remote(scan_remote(remote), None)
    assert found is not None
    result = pull_backup(remote, app_state.backup_dir, found, FAST_RETRY)
    assert result.pulled
    assert result.objects_received == len(data_objects(backup.manifest))
    assert files_of(backup.path) == original
    pulled = CompleteBackup(backup.backup_id, backup.path, load_manifest(backup.path))
    assert verify_loaded(app_state.settings, pulled).ok
    assert not [p for p in app_state.backup_dir.iterdir() if p.name.startswith(".staging")]
    assert not pull_backup(remote, app_state.backup_dir, found, FAST_RETRY).pulled


def test_incomplete_upload_is_listed_with_its_reason(remote: Remote, app_state: AppState) -> None:
    backup = make_backup(app_state.settings)
    push_backup(remote, backup)
    base = backup_base(backup.backup_id, backup.created_at)
    remote.delete(f"{base}/{SIDECAR_NAME}")
    [listed] = scan_remote(remote)
    assert not listed.complete
    assert listed.problem is not None and "no manifest" in listed.problem
    push_backup(remote, backup)
    victim = data_objects(backup.manifest)[0]
    remote.delete(f"{base}/{victim.relative}")
    [listed] = scan_remote(remote)
    assert listed.problem == f"{victim.relative} is missing"
    assert find_remote([listed], None) is None


def test_verify_shallow_and_deep_catch_a_swapped_object(
    remote_setup: RemoteSetup, remote: Remote, app_state: AppState
) -> None:
    backup = make_backup(app_state.settings)
    push_backup(remote, backup)
    [listed] = scan_remote(remote)
    scratch = app_state.backup_dir
    report = verify_remote(remote, listed, deep=True, scratch_dir=scratch, policy=FAST_RETRY)
    assert report.ok and report.objects_checked == len(data_objects(backup.manifest))
    victim = max(data_objects(backup.manifest), key=lambda o: o.size)
    key = f"{listed.base}/{victim.relative}"
    forged = bytes(victim.size)  # same size, other content, stored under the recorded sha256
    if remote_setup.kind == "folder":
        (Path(remote_setup.url) / key).write_bytes(forged)
    else:
        remote.put_bytes(key, forged, sha256=victim.sha256)
    assert verify_remote(remote, listed, deep=False, scratch_dir=scratch, policy=FAST_RETRY).ok
    deep = verify_remote(remote, listed, deep=True, scratch_dir=scratch, policy=FAST_RETRY)
    assert not deep.ok and deep.exit_code == 4
    assert [f.key for f in deep.failed_objects] == [key]
    assert not [p for p in scratch.iterdir() if p.name.startswith(".staging")]
    remote.put_bytes(key, b"short", sha256=hashlib.sha256(b"short").hexdigest())
    shallow = verify_remote(remote, listed, deep=False, scratch_dir=scratch, policy=FAST_RETRY)
    assert not shallow.ok
    assert "size 5 bytes" in shallow.failed_objects[0].problem


def test_pull_refuses_a_tampered_object_and_leaves_nothing(
    remote_setup: RemoteSetup, remote: Remote, app_state: AppState
) -> None:
    backup = make_backup(app_state.settings)
    push_backup(remote, backup)
    shutil.rmtree(backup.path)
    [listed] = scan_remote(remote)
    victim = max(data_objects(backup.manifest), key=lambda o: o.size)
    key = f"{listed.base}/{victim.relative}"
    if remote_setup.kind == "folder":
        (Path(remote_setup.url) / key).write_bytes(bytes(victim.size))
    else:
        remote.put_bytes(key, bytes(victim.size), sha256=victim.sha256)
    with pytest.raises(BackupError, match="sha256"):
        pull_backup(remote, app_state.backup_dir, listed, FAST_RETRY)
    assert sorted(p.name for p in app_state.backup_dir.iterdir() if "backup_" in p.name) == []


def test_prune_keeps_newest_and_a_killed_prune_is_never_listed_complete(
    remote: Remote, app_state: AppState
) -> None:
    ids = []
    for _ in range(3):
        backup = make_backup(app_state.settings)
        push_backup(remote, backup)
        ids.append(backup.backup_id)
    preview = prune_remote(remote, RetentionPolicy(keep_last=1), dry_run=True)
    assert preview.deleted == ids[:2] and preview.kept == ids[2:]
    assert len([b for b in scan_remote(remote) if b.complete]) == 3
    result = prune_remote(remote, RetentionPolicy(keep_last=2), dry_run=False)
    assert result.deleted == ids[:1]
    listed = scan_remote(remote)
    assert [b.backup_id for b in listed] == ids[1:]
    assert all(b.complete for b in listed)


def test_pushing_again_after_a_killed_prune_is_complete_and_survives_the_next_prune(
    remote: Remote, app_state: AppState
) -> None:
    backup = make_backup(app_state.settings)
    push_backup(remote, backup)
    (listed,) = scan_remote(remote)
    # What a prune killed right after deleting the commit files leaves behind.
    note = b"deleting\n"
    remote.put_bytes(
        f"{listed.base}/{PRUNING_MARKER}", note, sha256=hashlib.sha256(note).hexdigest()
    )
    for name in (MANIFEST_NAME, SIDECAR_NAME):
        remote.delete(f"{listed.base}/{name}")
    assert push_backup(remote, backup).pushed
    assert [(b.backup_id, b.complete) for b in scan_remote(remote)] == [(backup.backup_id, True)]
    result = prune_remote(remote, RetentionPolicy(keep_last=1), dry_run=False)
    assert result.deleted == []
    assert [(b.backup_id, b.complete) for b in scan_remote(remote)] == [(backup.backup_id, True)]


def test_prune_reports_the_half_deleted_backup_it_finishes(
    remote: Remote, app_state: AppState
) -> None:
    kept, doomed = make_backup(app_state.settings), make_backup(app_state.settings)
    for backup in (kept, doomed):
        push_backup(remote, backup)
    base = next(b.base for b in scan_remote(remote) if b.backup_id == doomed.backup_id)
    note = b"deleting\n"
    remote.put_bytes(f"{base}/{PRUNING_MARKER}", note, sha256=hashlib.sha256(note).hexdigest())
    remote.delete(f"{base}/{MANIFEST_NAME}")
    policy = RetentionPolicy(keep_last=5)
    assert prune_remote(remote, policy, dry_run=True).deleted == [doomed.backup_id]
    assert prune_remote(remote, policy, dry_run=False).deleted == [doomed.backup_id]
    assert [b.backup_id for b in scan_remote(remote)] == [kept.backup_id]


def test_prune_never_deletes_the_only_complete_copy(remote: Remote, app_state: AppState) -> None:
    backup = make_backup(app_state.settings)
    push_backup(remote, backup)
    old = RetentionPolicy(keep_last=1, keep_within_days=0.000001)
    result = prune_remote(remote, old, dry_run=False)
    assert result.deleted == []
    assert [b.complete for b in scan_remote(remote)] == [True]


def test_manifest_is_the_last_object_written(remote: Remote, app_state: AppState) -> None:
    backup = make_backup(app_state.settings)
    order: list[str] = []

    class Recording:
        """The real remote, recording the order of writes."""

        def __getattr__(self, name: str) -> object:
            return getattr(remote, name)

        def put_file(self, key: str, source: Path, **kwargs: object) -> object:
            order.append(key.rsplit("/", 1)[-1])
            return remote.put_file(key, source, **kwargs)  # type: ignore[arg-type]

        def put_bytes(self, key: str, data: bytes, **kwargs: object) -> object:
            order.append(key.rsplit("/", 1)[-1])
            return remote.put_bytes(key, data, **kwargs)  # type: ignore[arg-type]

    push_backup(Recording(), backup)  # type: ignore[arg-type]
    assert order[-2:] == [MANIFEST_NAME, SIDECAR_NAME]
    assert MANIFEST_NAME not in order[:-2]
