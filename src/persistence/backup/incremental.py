"""After capture: database copies and snapshots equal to the previous backup's become hard
links to it, and every file of the new backup is made read-only.

Read-only (0400) because a file may now be shared by several backups: editing it through one
would silently change the others. A database copy is captured in full either way (its bytes are
only known once copied), so linking saves disk, not time.
"""

from __future__ import annotations

from pathlib import Path

from persistence.components.names import DATABASE_COMPONENTS, QDRANT_COMPONENT
from persistence.core.paths import join_inside
from persistence.store.manifest import ComponentRecord, ComponentStatus
from persistence.store.reuse import Reuse, make_read_only

__all__ = ["link_same_copies", "make_read_only"]


def link_same_copies(
    records: list[ComponentRecord], staging: Path, reuse: Reuse
) -> list[ComponentRecord]:
    linked: list[ComponentRecord] = []
    for record in records:
        previous = reuse.component(record.name)
        if (
            previous is None
            or record.status is not ComponentStatus.CAPTURED
            or record.name not in (*DATABASE_COMPONENTS, QDRANT_COMPONENT)
        ):
            linked.append(record)
            continue
        folder = staging / record.name
        files = [
            previous.link_same_content(item.path, join_inside(folder, item.path), item)
            if item.kind == "file"
            else item
            for item in record.files
        ]
        linked.append(record.model_copy(update={"files": files}))
    return linked
