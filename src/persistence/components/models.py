"""The typed vocabulary every component kind speaks: verify findings, restore plans, results.

These are also part of the `--json` contract of verify-backup and restore-backup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from persistence.core.errors import ComponentError


@dataclass
class Findings:
    """What the checks of one component found; `failed` maps a path to its problem."""

    problems: list[str] = field(default_factory=lambda: [])
    failed: dict[str, str] = field(default_factory=lambda: {})
    notes: list[str] = field(default_factory=lambda: [])
    files_checked: int = 0

    def fail_file(self, path: str, problem: str) -> None:
        self.failed.setdefault(path, problem)
        self.problems.append(f"{path}: {problem}")


# restore: the component is rebuilt from the backup and swapped in;
# restore-missing: (--if-empty) only what is missing is written;
# leave: nothing to do, or not in this backup; skip: not selected with --only.
ComponentAction = Literal["restore", "restore-missing", "leave", "skip"]


class ShardPlan(BaseModel):
    """A cluster restore: which shard file goes to which node."""

    shard_id: int
    file: str
    node: str


class CollectionPlan(BaseModel):
    name: str
    action: Literal["recover", "replace", "leave"]
    snapshot_file: str
    bytes: int
    points_expected: int | None = None
    points_now: int | None = None
    shards: list[ShardPlan] = []


class ComponentPlan(BaseModel):
    name: str
    action: ComponentAction
    target: str | None = None
    reason: str = ""
    files_written: list[str] = []
    files_replaced: list[str] = []
    files_removed: list[str] = []
    files_unchanged: int = 0
    bytes_to_write: int = 0
    bytes_staged: int = 0
    current_bytes: int = 0
    collections: list[CollectionPlan] = []
    warnings: list[str] = []
    # A blocking problem: a real restore refuses while any component has one.
    problems: list[str] = []

    @property
    def changes(self) -> bool:
        return self.action in ("restore", "restore-missing")


class ComponentRestoreResult(BaseModel):
    name: str
    ok: bool
    action: ComponentAction
    files_written: int = 0
    files_removed: int = 0
    bytes_written: int = 0
    collections_recovered: list[str] = []
    error: str | None = None
    warnings: list[str] = []


class PartialRestore(ComponentError):
    """Some of a component was restored, some not: the restore still reports what was done."""

    def __init__(self, message: str, partial: ComponentRestoreResult) -> None:
        super().__init__(message)
        self.partial = partial
