"""A file name that is not UTF-8 (a zip extracted with CP437 names) in a tree."""

from __future__ import annotations

import json
import os

from tests.conftest import AppState
from tests.support.cli import run_cli


def test_a_name_that_is_not_utf8_is_skipped_with_a_warning(app_state: AppState) -> None:
    storage = os.fsencode(app_state.data_dir / "storage")
    with open(storage + b"/caf\xe9.txt", "wb") as handle:  # Latin-1 bytes, invalid UTF-8
        handle.write(b"menu\n")
    done = run_cli("create-backup", "--no-prune", "--json", env=app_state.env())
    result = json.loads(done.stdout)
    assert done.returncode == 0, result["error"]
    assert any("caf" in w and "UTF-8" in w for w in result["warnings"]), result["warnings"]
    checked = run_cli("verify-backup", result["backup_id"], env=app_state.env())
    assert checked.returncode == 0, checked.stderr
    # A restore never removes what no backup could hold.
    (app_state.data_dir / "storage" / "docstore.json").write_text("changed\n")
    restored = run_cli("restore-backup", result["backup_id"], "--json", env=app_state.env())
    assert restored.returncode == 0, restored.stdout
    assert os.path.exists(storage + b"/caf\xe9.txt")


def test_diff_against_live_shows_a_name_that_is_not_utf8(app_state: AppState) -> None:
    done = run_cli("create-backup", "--no-prune", "--json", env=app_state.env())
    assert done.returncode == 0, done.stdout
    storage = os.fsencode(app_state.data_dir / "storage")
    with open(storage + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"menu\n")
    backup_id = json.loads(done.stdout)["backup_id"]
    diff = run_cli("diff-backups", backup_id, "live", "--json", env=app_state.env())
    assert diff.returncode == 0, diff.stdout
    storage_diff = next(c for c in json.loads(diff.stdout)["components"] if c["name"] == "storage")
    assert [a["path"] for a in storage_diff["added"]] == ["caf\\xe9.txt"]


def test_ls_and_diff_json_print_one_document_even_on_an_unexpected_error(
    app_state: AppState,
) -> None:
    done = run_cli("create-backup", "--no-prune", "--json", env=app_state.env())
    assert done.returncode == 0, done.stdout
    backup_id = json.loads(done.stdout)["backup_id"]
    odd = os.fsdecode(b"storage/\xff")  # an argument that is not UTF-8 (echoed in the result)
    for command in (
        ["ls-backup", backup_id, odd],
        ["diff-backups", os.fsdecode(b"backup_\xff"), "live"],
    ):
        got = run_cli(*command, "--json", env=app_state.env())
        assert got.stdout, got.stderr
        document = json.loads(got.stdout)  # exactly one document, whatever happened
        assert document["ok"] is False and document["exit_code"] == got.returncode != 0
