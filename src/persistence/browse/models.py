"""What ls-backup and diff-backups report; also their `--json` contract."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from persistence.core.results import RunResult

LIVE = "live"


class FileEntry(BaseModel):
    """One entry of a backup; `path` is relative to its component's folder."""

    component: str
    path: str
    kind: Literal["file", "symlink", "dir"]
    size: int
    mtime: datetime | None  # UTC; the source's modification time when it was backed up
    sha256: str | None
    link_target: str | None = None


class ComponentEntry(BaseModel):
    name: str
    status: str
    method: str | None = None
    bytes: int = 0
    file_count: int = 0


class CollectionEntry(BaseModel):
    name: str
    points_count: int | None
    size: int
    vectors_config: JsonValue = None


class BackupContents(RunResult):
    backup_id: str | None = None
    created_at: datetime | None = None
    path_filter: str | None = None
    components: list[ComponentEntry] = Field(default_factory=lambda: list[ComponentEntry]())
    files: list[FileEntry] = Field(default_factory=lambda: list[FileEntry]())
    collections: list[CollectionEntry] = Field(default_factory=lambda: list[CollectionEntry]())


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class FileChange(BaseModel):
    path: str
    change: Change
    old_size: int | None
    new_size: int | None


class TableChange(BaseModel):
    """A table whose row count differs; None on a side means the table is not there."""

    table: str
    old_rows: int | None
    new_rows: int | None


class CollectionChange(BaseModel):
    name: str
    change: Change
    old_points: int | None
    new_points: int | None
    config_changed: bool = False


class ComponentDiff(BaseModel):
    name: str
    old_status: str
    new_status: str
    old_bytes: int
    new_bytes: int
    added: list[FileChange] = Field(default_factory=lambda: list[FileChange]())
    removed: list[FileChange] = Field(default_factory=lambda: list[FileChange]())
    changed: list[FileChange] = Field(default_factory=lambda: list[FileChange]())
    tables: list[TableChange] = Field(default_factory=lambda: list[TableChange]())
    collections: list[CollectionChange] = Field(default_factory=lambda: list[CollectionChange]())
    compared: bool = True
    notes: list[str] = Field(default_factory=lambda: list[str]())

    @property
    def differs(self) -> bool:
        listed = self.added or self.removed or self.changed or self.tables or self.collections
        return bool(listed) or (self.compared and self.old_status != self.new_status)


class BackupDiff(RunResult):
    old_id: str | None = None
    new_id: str | None = None  # a backup id, or "live" for the data root now
    identical: bool = False
    components: list[ComponentDiff] = Field(default_factory=lambda: list[ComponentDiff]())
