"""Validation of names a Qdrant server hands us before any of them becomes part of a path.

Only what is dangerous as one path component is refused. Characters such as `#`, `%`, `?`,
spaces or non-ASCII letters are fine in a local file name (Qdrant allows some of them in
collection names); in request paths the client percent-encodes every segment.
"""

from __future__ import annotations

from persistence.core.errors import QdrantError

# Qdrant itself caps collection names at 255 characters; snapshot names add a peer id and a
# timestamp, so they get a little more room. Anything longer is not something Qdrant made.
MAX_COLLECTION_NAME = 255
MAX_SNAPSHOT_NAME = 320
SNAPSHOT_SUFFIX = ".snapshot"


def _problem(name: str, limit: int) -> str | None:
    if not name:
        return "it is empty"
    if len(name.encode("utf-8")) > limit:
        return f"it is longer than {limit} bytes"
    if "/" in name or "\\" in name:
        return "it contains a path separator"
    if "\x00" in name:
        return "it contains a NUL byte"
    if ".." in name or name == ".":
        return "it contains '..' or is '.'"
    if name.startswith("."):
        # A hidden file or folder: skipped by globs and many copy tools, easy to lose.
        return "it starts with '.'"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return "it contains control characters"
    if name.startswith("-"):
        # A leading dash turns a file name into an option for any tool that touches it later.
        return "it starts with '-'"
    return None


def validate_collection_name(name: str) -> str:
    """Return `name` if it is safe as one path component; raise QdrantError otherwise."""
    problem = _problem(name, MAX_COLLECTION_NAME)
    if problem is not None:
        raise QdrantError(f"refusing Qdrant collection name {name[:80]!r}: {problem}")
    return name


def validate_snapshot_name(collection: str, name: str) -> str:
    """Return `name` if it is a safe `*.snapshot` file name; raise QdrantError otherwise."""
    problem = _problem(name, MAX_SNAPSHOT_NAME)
    if problem is None and not name.endswith(SNAPSHOT_SUFFIX):
        problem = f"it does not end with {SNAPSHOT_SUFFIX}"
    if problem is not None:
        raise QdrantError(
            f"Qdrant collection '{collection}': refusing snapshot name {name[:80]!r} "
            f"returned by the server: {problem}"
        )
    return name
