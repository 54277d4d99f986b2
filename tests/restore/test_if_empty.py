"""`restore-backup --latest --if-empty`: the container entrypoint helper."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import cli_env, make_state, standin_state
from tests.support.cli import run_cli, run_json
from tests.support.trees import tree_digest


def test_if_empty_is_a_no_op_on_a_populated_state_and_restores_an_empty_one(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url)
    assert run_cli("create-backup", env=env, cwd=tmp_path).returncode == 0
    (data / "storage" / "docstore.json").write_text("newer than the backup", encoding="utf-8")
    before, server = tree_digest(data), standin_state(qdrant_standin)

    code, result = run_json("restore-backup", "--latest", "--if-empty", env=env, cwd=tmp_path)
    assert code == 0 and result["nothing_to_do"] is True and result["undo_id"] is None
    assert tree_digest(data) == before and standin_state(qdrant_standin) == server

    # Empty: storage and the cache gone, one collection missing, one emptied.
    shutil.rmtree(data / "storage")
    (data / "cache" / "cache.db").unlink()
    with qdrant_standin.state.lock:
        del qdrant_standin.state.collections["docs"]
        qdrant_standin.state.collections["faq-v2"].points_count = 0
    code, result = run_json("restore-backup", "--latest", "--if-empty", env=env, cwd=tmp_path)
    assert code == 0, result
    assert result["nothing_to_do"] is False and result["undo_id"] is None
    assert (data / "storage" / "docstore.json").read_bytes().startswith(b'{"docs"')
    assert (data / "storage" / "latest-notes").is_symlink()
    assert (data / "cache" / "cache.db").stat().st_size > 0
    counts = {name: state[0] for name, state in standin_state(qdrant_standin).items()}
    assert counts == {"docs": 21, "faq-v2": 9, "images": 31}
    uploaded = {
        r.path.split("/")[2]
        for r in qdrant_standin.state.uploads_to(r"/collections/[^/]+/snapshots/upload")
    }
    assert uploaded == {"docs", "faq-v2"}, "a populated collection is left alone"
    # A populated uploads/ tree was not touched (present files are never rewritten).
    assert tree_digest(data / "uploads") == {
        k.removeprefix("uploads/"): v for k, v in before.items() if k.startswith("uploads/")
    }


def test_if_empty_without_any_backup_is_a_no_op(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    done = run_cli("restore-backup", "--latest", "--if-empty", env=cli_env(data), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "nothing to restore" in done.stdout
