"""What `restore-backup --target` and `--path` report; also their `--json` contract."""

from __future__ import annotations

from pydantic import BaseModel, Field

from persistence.core.results import RunResult


class ExtractedCollection(BaseModel):
    name: str
    restored_as: str
    points_count: int | None


class FileRestoreResult(RunResult):
    backup_id: str | None = None
    target: str | None = None  # the folder written into; None: the data root (in place)
    paths: list[str] = Field(default_factory=lambda: list[str]())  # the --path filters
    dry_run: bool = False
    written: list[str] = Field(default_factory=lambda: list[str]())  # COMPONENT/PATH
    bytes_written: int = 0
    unchanged: list[str] = Field(default_factory=lambda: list[str]())
    # In place, a file that exists with other content is never overwritten (see warnings).
    conflicts: list[str] = Field(default_factory=lambda: list[str]())
    collections: list[ExtractedCollection] = Field(
        default_factory=lambda: list[ExtractedCollection]()
    )
    warnings: list[str] = Field(default_factory=lambda: list[str]())
