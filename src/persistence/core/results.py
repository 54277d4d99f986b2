"""Typed results the service hands to its shells (CLI, panel); also the `--json` contract."""

from __future__ import annotations

from pydantic import BaseModel

from persistence.store.manifest import ComponentRecord


class ComponentSummary(BaseModel):
    name: str
    status: str
    method: str | None = None
    source: str | None = None
    bytes: int = 0
    file_count: int = 0
    error: str | None = None
    warnings: list[str] = []

    @classmethod
    def of(cls, record: ComponentRecord) -> ComponentSummary:
        return cls(
            name=record.name,
            status=record.status.value,
            method=record.method,
            source=record.source,
            bytes=record.bytes,
            file_count=record.file_count,
            error=record.error,
            warnings=record.warnings,
        )


class IgnoredBackup(BaseModel):
    backup_id: str
    reason: str


class PruneResult(BaseModel):
    ok: bool
    dry_run: bool
    deleted: list[str] = []
    kept: list[str] = []
    keep_rules: dict[str, list[str]] = {}
    ignored: list[IgnoredBackup] = []
    error: str | None = None
    exit_code: int = 0


class CreateResult(BaseModel):
    ok: bool
    backup_id: str | None = None
    path: str | None = None
    error: str | None = None
    exit_code: int = 0
    started_at: str | None = None
    duration_seconds: float = 0.0
    components: list[ComponentSummary] = []
    warnings: list[str] = []
    leftovers_removed: list[str] = []
    prune: PruneResult | None = None
