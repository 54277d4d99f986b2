"""The root's on-disk total and each backup's own bytes: one walk, remembered per set of sealed
backups, and exact whenever something outside them shares their files."""

from __future__ import annotations

import json
import os
import shutil
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from persistence import service
from persistence.store import footprint
from persistence.store.footprint import FOOTPRINT_CACHE_NAME, disk_bytes, unshared_bytes
from persistence.store.inode_maps import INODE_MAPS_NAME, load_maps, save_maps
from tests.conftest import AppState


def _two_backups(app_state: AppState) -> list[str]:
    for _ in range(2):
        assert service.create_backup(app_state.settings, prune=False).ok
    return app_state.backups()


def _fresh_walk(app_state: AppState) -> tuple[int, dict[str, int]]:
    root = app_state.backup_dir
    return disk_bytes(root), {b: unshared_bytes(root / b) for b in app_state.backups()}


def _listed(app_state: AppState) -> tuple[int, dict[str, int | None]]:
    report = service.listing_report(app_state.settings)
    return report.disk_bytes, {b.backup_id: b.unique_bytes for b in report.backups}


def _counted_afresh(app_state: AppState) -> bool:
    """The listing walked (it may then rewrite its cache, so a walk after it can differ by that
    file's few bytes; a remembered total planted at 5 bytes is a megabyte off)."""
    return abs(_listed(app_state)[0] - disk_bytes(app_state.backup_dir)) < 4096


def _plant(app_state: AppState, disk: int) -> None:
    """Overwrite the remembered total, so that a test can tell whether it is used."""
    path = app_state.backup_dir / FOOTPRINT_CACHE_NAME
    stored = json.loads(path.read_text())
    stored["footprint"]["disk_bytes"] = disk
    path.write_text(json.dumps(stored))


def test_the_listing_equals_a_fresh_walk_and_the_second_one_uses_what_it_remembered(
    app_state: AppState,
) -> None:
    _two_backups(app_state)
    _listed(app_state)  # writes the caches: the walk below counts the tool's own files too
    assert _listed(app_state) == _fresh_walk(app_state)
    _plant(app_state, 5)
    top_files = sum(p.stat().st_size for p in app_state.backup_dir.iterdir() if p.is_file())
    assert _listed(app_state)[0] == 5 + top_files  # remembered, not walked


def test_a_new_backup_is_counted_afresh(app_state: AppState) -> None:
    _two_backups(app_state)
    _listed(app_state)
    _plant(app_state, 5)
    assert service.create_backup(app_state.settings, prune=False).ok
    assert _counted_afresh(app_state)


def test_a_deleted_backup_leaves_its_shared_files_to_its_neighbour(app_state: AppState) -> None:
    first, second = _two_backups(app_state)
    shared_before = _listed(app_state)[1][second]
    _plant(app_state, 5)
    shutil.rmtree(app_state.backup_dir / first)
    assert _counted_afresh(app_state)
    unique = _listed(app_state)[1][second]
    assert unique == unshared_bytes(app_state.backup_dir / second)
    assert unique is not None and shared_before is not None
    assert unique > shared_before


def test_a_folder_that_links_to_a_backup_makes_an_exact_walk_that_is_not_remembered(
    app_state: AppState,
) -> None:
    """A create in progress links the newest backup's files into its staging folder: those
    inodes count once, and the newest backup's files are no longer its own."""
    _, newest = _two_backups(app_state)
    _listed(app_state)
    _plant(app_state, 5)
    staging = app_state.backup_dir / ".staging-x"
    staging.mkdir()
    shared = next(p for p in (app_state.backup_dir / newest).rglob("*") if p.is_file())
    os.link(shared, staging / "linked")
    disk, unique = _listed(app_state)
    assert disk == disk_bytes(app_state.backup_dir)
    assert unique[newest] == unshared_bytes(app_state.backup_dir / newest)
    remembered = json.loads((app_state.backup_dir / FOOTPRINT_CACHE_NAME).read_text())
    assert remembered["footprint"]["disk_bytes"] == 5  # not overwritten by a transient state


def test_an_unlinked_file_beside_the_backups_is_added_and_the_rest_still_remembered(
    app_state: AppState,
) -> None:
    _two_backups(app_state)
    _listed(app_state)
    _plant(app_state, 5)
    lost = app_state.backup_dir / "lost+found"
    lost.mkdir()
    (lost / "orphan").write_bytes(b"x" * 1000)
    before = _listed(app_state)[0]
    (lost / "orphan2").write_bytes(b"y" * 500)
    assert _listed(app_state)[0] == before + 500
    assert before < 1000 + 64 * 1024  # 5 remembered + the orphan + the tool's small files


def test_a_planted_or_broken_cache_is_ignored(app_state: AppState) -> None:
    _two_backups(app_state)
    path = app_state.backup_dir / FOOTPRINT_CACHE_NAME
    for planted in ("not json", '{"sealed_set": 1}', '{"footprint": {"disk_bytes": -1}}'):
        path.write_text(planted)
        assert _counted_afresh(app_state)
    path.unlink()
    path.symlink_to("/dev/zero")
    assert _counted_afresh(app_state)


def test_a_cache_that_cannot_be_written_costs_only_time(app_state: AppState) -> None:
    _two_backups(app_state)
    path = app_state.backup_dir / FOOTPRINT_CACHE_NAME
    path.unlink(missing_ok=True)
    path.mkdir()  # neither readable as a file nor replaceable by one
    _listed(app_state)  # writes the inode maps, which the walk below counts
    assert _listed(app_state) == _fresh_walk(app_state)
    assert path.is_dir()


def _kilobyte_more(pairs: array[int]) -> array[int]:
    """The same inodes, each remembered 1,000 bytes larger than it is."""
    return array("Q", (v if i % 2 == 0 else v + 1000 for i, v in enumerate(pairs)))


def test_after_a_new_backup_only_the_new_one_is_walked(app_state: AppState) -> None:
    """The older backups' files come from their remembered inode maps: a size planted in
    them shows in the total, while the new backup's files are counted from the disk."""
    first, second = _two_backups(app_state)
    _listed(app_state)
    maps = load_maps(app_state.backup_dir)
    assert {key[0] for key in maps} == {first, second}
    save_maps(app_state.backup_dir, {key: _kilobyte_more(pairs) for key, pairs in maps.items()})
    inodes = {inode for pairs in maps.values() for inode in pairs[0::2]}
    assert service.create_backup(app_state.settings, prune=False).ok
    _listed(app_state)  # counts, and rewrites the caches the walk below counts too
    assert _listed(app_state)[0] - disk_bytes(app_state.backup_dir) == 1000 * len(inodes)
    assert {key[0] for key in load_maps(app_state.backup_dir)} == set(app_state.backups())


def test_planted_or_foreign_inode_maps_are_ignored(app_state: AppState) -> None:
    _two_backups(app_state)
    _listed(app_state)
    path = app_state.backup_dir / INODE_MAPS_NAME
    good = path.read_bytes()
    header_end = good.index(b"\n", good.index(b"\n") + 1)
    for planted in (
        b"junk",
        good[:-8],  # cut short
        good.replace(b'"byteorder": "little"', b'"byteorder": "big"'),
        good[: header_end + 1].replace(b'"files": ', b'"files": 1') + good[header_end + 1 :],
    ):
        path.write_bytes(planted)
        (app_state.backup_dir / FOOTPRINT_CACHE_NAME).unlink()
        assert _counted_afresh(app_state), planted[:80]


def _create_links_during_the_walk(
    app_state: AppState, newest: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A create that links a file of the newest backup into its staging folder while a listing
    walks the sealed backups (staging made beforehand if it exists already)."""
    staging = app_state.backup_dir / ".staging-backup_x-1"
    walk = footprint._regular_file_entries  # pyright: ignore[reportPrivateUsage]

    def walk_while_creating(folder: Path) -> Iterator[os.DirEntry[str]]:
        if folder.name == newest and not (staging / "linked").exists():
            staging.mkdir(exist_ok=True)
            shared = next(p for p in folder.rglob("*") if p.is_file())
            os.link(shared, staging / "linked")
        return walk(folder)

    monkeypatch.setattr(footprint, "_regular_file_entries", walk_while_creating)
    return staging


@pytest.mark.parametrize("staging_there_before", [False, True])
def test_a_create_that_links_during_the_walk_and_fails_leaves_nothing_stale(
    app_state: AppState, monkeypatch: pytest.MonkeyPatch, staging_there_before: bool
) -> None:
    """The walk saw the newest backup's files linked into a staging folder that the failed
    create then removed: what it counted must not be remembered for the unchanged set."""
    _, newest = _two_backups(app_state)
    staging = _create_links_during_the_walk(app_state, newest, monkeypatch)
    if staging_there_before:
        staging.mkdir()
        (staging / "copied").write_bytes(b"x" * 100)  # not linked: no exact walk
    _listed(app_state)
    shutil.rmtree(staging)  # the create failed
    monkeypatch.undo()
    assert _listed(app_state)[1][newest] == unshared_bytes(app_state.backup_dir / newest)


def test_a_root_put_back_from_a_copy_without_its_links_is_counted_afresh(
    app_state: AppState, tmp_path: Path
) -> None:
    """`cp -r` or `rsync -a` without -H (to a new disk, or back from a copy) gives every backup
    its own copy of each shared file: same backups, same manifests, several times the bytes."""
    _two_backups(app_state)
    _listed(app_state)
    aside = tmp_path / "aside"
    shutil.move(app_state.backup_dir, aside)
    shutil.copytree(aside, app_state.backup_dir, symlinks=True)
    assert disk_bytes(app_state.backup_dir) > disk_bytes(aside) + 1024 * 1024
    assert _counted_afresh(app_state)
