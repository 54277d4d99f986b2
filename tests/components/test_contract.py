"""One contract every component kind keeps, run against each kind (as restic tests backends).

capture -> check passes -> a damaged copy fails and names the file -> restore over a changed
live state gives back the captured bytes and rows -> the undo copy taken before the restore
brings the changed state back.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from qdrant_client import QdrantClient, models

from persistence.components.base import (
    ApplyContext,
    CaptureContext,
    CheckContext,
    Component,
    PlanContext,
)
from persistence.components.registry import build_components
from persistence.core.paths import check_paths
from persistence.core.progress import ignore_progress
from persistence.core.settings import BackupSettings, load_settings
from persistence.store.manifest import ComponentRecord, ComponentStatus
from tests.qdrant_standin.server import QdrantStandin
from tests.support.trees import tree_digest

Digest = object


@dataclass(frozen=True)
class KindCase:
    """How to make, change and read one kind's live state in a data root."""

    component: str
    make: Callable[[Path], None]
    change: Callable[[Path], None]
    digest: Callable[[Path], Digest]
    settings: Callable[[Path], BackupSettings]


def _plain(data: Path) -> BackupSettings:
    return load_settings(data_dir=data)


# --- SQLite and DuckDB: rows are the content that must come back -------------------------


def _sqlite_make(data: Path) -> None:
    (data / "cache").mkdir(parents=True)
    con = sqlite3.connect(data / "cache" / "cache.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"row {i}") for i in range(50)])
    con.commit()
    con.close()


def _sqlite_change(data: Path) -> None:
    con = sqlite3.connect(data / "cache" / "cache.db")
    con.execute("DELETE FROM t WHERE id < 10")
    con.execute("INSERT INTO t VALUES (1000, 'new')")
    con.commit()
    con.close()


def _sqlite_rows(data: Path) -> Digest:
    con = sqlite3.connect(data / "cache" / "cache.db")
    try:
        return con.execute("SELECT id, v FROM t ORDER BY id").fetchall()
    finally:
        con.close()


def _duckdb_make(data: Path) -> None:
    (data / "analytics").mkdir(parents=True)
    con = duckdb.connect(str(data / "analytics" / "analytics.duckdb"))
    con.execute("CREATE TABLE events AS SELECT range AS id, 'e' || range AS v FROM range(300)")
    con.close()


def _duckdb_change(data: Path) -> None:
    con = duckdb.connect(str(data / "analytics" / "analytics.duckdb"))
    con.execute("DELETE FROM events WHERE id % 3 = 0")
    con.close()


def _duckdb_rows(data: Path) -> Digest:
    con = duckdb.connect(str(data / "analytics" / "analytics.duckdb"), read_only=True)
    try:
        return con.execute("SELECT id, v FROM events ORDER BY id").fetchall()
    finally:
        con.close()


# --- A file tree: every byte and every link ----------------------------------------------


def _tree_make(data: Path) -> None:
    root = data / "uploads"
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "docs" / "b.bin").write_bytes(bytes(range(256)) * 40)
    (root / "docs" / "deep" / "c.md").write_text("# c\n")
    (root / "link").symlink_to("docs/b.bin")


def _tree_change(data: Path) -> None:
    root = data / "uploads"
    (root / "a.txt").write_text("changed\n")
    (root / "docs" / "deep" / "c.md").unlink()
    (root / "added.txt").write_text("new file\n")


def _tree_bytes(data: Path) -> Digest:
    return tree_digest(data / "uploads")


# --- Embedded Qdrant: the points a client reads back --------------------------------------


def _embedded_settings(data: Path) -> BackupSettings:
    return load_settings(data_dir=data, qdrant_path=data / "qdrant-local")


def _embedded_make(data: Path) -> None:
    client = QdrantClient(path=str(data / "qdrant-local"))
    try:
        client.create_collection(
            "notes", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE)
        )
        client.upsert(
            "notes",
            points=[
                models.PointStruct(id=i, vector=[0.1 * i, 0.2, 0.3, 0.4], payload={"n": i})
                for i in range(1, 16)
            ],
        )
    finally:
        client.close()


def _embedded_change(data: Path) -> None:
    client = QdrantClient(path=str(data / "qdrant-local"))
    try:
        client.delete("notes", points_selector=models.PointIdsList(points=[1, 2, 3]))
    finally:
        client.close()


def _embedded_points(data: Path) -> Digest:
    client = QdrantClient(path=str(data / "qdrant-local"))
    try:
        records, _ = client.scroll("notes", limit=1000, with_payload=True)
        return sorted((int(r.id), str(r.payload)) for r in records)
    finally:
        client.close()


CASES = {
    "sqlite": KindCase("cache_db", _sqlite_make, _sqlite_change, _sqlite_rows, _plain),
    "duckdb": KindCase("analytics_db", _duckdb_make, _duckdb_change, _duckdb_rows, _plain),
    "tree": KindCase("uploads", _tree_make, _tree_change, _tree_bytes, _plain),
    "embedded-qdrant": KindCase(
        "qdrant", _embedded_make, _embedded_change, _embedded_points, _embedded_settings
    ),
}


@dataclass
class Live:
    """A kind's live state: made, changed and read through the case (or the stand-in)."""

    case: KindCase
    data: Path
    settings: BackupSettings

    def component(self) -> Component:
        paths = check_paths(self.settings)
        chosen = build_components(self.settings, paths, skip_qdrant=False)
        return next(c for c in chosen if c.name == self.case.component)


def _server_case(standin: QdrantStandin) -> KindCase:
    """The Qdrant server kind against the stand-in: points counts and the archive's bytes."""

    def make(_data: Path) -> None:
        standin.add_collection("docs", points=22, dim=4, shards=2)

    def change(_data: Path) -> None:
        standin.add_collection("docs", points=5, dim=4, shards=2)

    def digest(_data: Path) -> Digest:
        with standin.state.lock:
            found = standin.state.collections["docs"]
            assert found.archive is not None
            return found.points_count, found.archive.sha256

    def settings(data: Path) -> BackupSettings:
        return load_settings(data_dir=data, qdrant_url=standin.url, qdrant_timeout=20.0)

    return KindCase("qdrant", make, change, digest, settings)


@pytest.fixture(params=[*CASES, "server-qdrant"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    data = tmp_path / "data"
    data.mkdir()
    if request.param == "server-qdrant":
        standin = QdrantStandin(tmp_path / "qdrant-standin").start()
        try:
            case = _server_case(standin)
            case.make(data)
            yield Live(case, data, case.settings(data))
        finally:
            standin.stop()
        return
    case = CASES[request.param]
    case.make(data)
    yield Live(case, data, case.settings(data))


def _capture(component: Component, folder: Path) -> ComponentRecord:
    return component.capture(CaptureContext(target_dir=folder, progress=ignore_progress))


def _restore(live: Live, folder: Path, record: ComponentRecord, *, undo: bool) -> None:
    component = live.component()
    ctx = PlanContext(
        settings=live.settings,
        paths=check_paths(live.settings),
        if_empty=False,
        undoes_a_restore=undo,
    )
    step = component.plan_restore(folder, record, ctx)
    assert step.changes and not step.problems, step
    result = component.apply_restore(
        folder, record, step, ApplyContext(live.settings, ignore_progress)
    )
    assert result.ok, result


def test_every_kind_keeps_the_component_contract(live: Live, tmp_path: Path) -> None:
    original = live.case.digest(live.data)
    component = live.component()
    backup = tmp_path / "backup" / component.name
    record = _capture(component, backup)
    assert record.status is ComponentStatus.CAPTURED and record.files

    check = CheckContext(live.settings, ignore_progress)
    assert component.check(backup, record, check).problems == []

    damaged = tmp_path / "damaged" / component.name
    shutil.copytree(backup, damaged, symlinks=True)
    victim = next(f for f in record.files if f.kind == "file" and f.size > 0)
    target = damaged / victim.path
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    found = component.check(damaged, record, check)
    assert victim.path in found.failed, found

    live.case.change(live.data)
    changed = live.case.digest(live.data)
    assert changed != original

    # The undo copy is taken by the kind before anything is replaced.
    plan_ctx = PlanContext(live.settings, check_paths(live.settings), False, False)
    step = component.plan_restore(backup, record, plan_ctx)
    undo_folder = tmp_path / "undo" / component.name
    undo = component.save_before_restore(step, CaptureContext(undo_folder, ignore_progress))
    assert undo is not None and undo.status is ComponentStatus.CAPTURED

    _restore(live, backup, record, undo=False)
    assert live.case.digest(live.data) == original

    _restore(live, undo_folder, undo, undo=True)
    assert live.case.digest(live.data) == changed
