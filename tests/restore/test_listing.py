"""The undo copy a restore saves is listed, so a user can find it later."""

from __future__ import annotations

from persistence import service
from tests.conftest import AppState


def test_pre_restore_copy_is_listed_with_its_kind(app_state: AppState) -> None:
    created = service.create_backup(app_state.settings)
    assert created.ok, created.error
    (app_state.data_dir / "storage" / "docstore.json").write_text("edited after the backup")
    restored = service.restore_backup(app_state.settings, created.backup_id)
    assert restored.ok and restored.undo_id, restored.error
    kinds = {b.backup_id: b.kind for b in service.list_backups(app_state.settings)}
    assert kinds == {created.backup_id: "backup", restored.undo_id: "pre-restore"}
    pruned = service.prune_backups(app_state.settings, keep_last=1)
    assert restored.undo_id not in pruned.deleted + pruned.kept, "retention never sees undo copies"
