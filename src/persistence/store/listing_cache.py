"""What a listing shows of each sealed manifest, remembered by the manifest's sha256.

Validating a manifest of thousands of entries takes tens of milliseconds, and every
`list-backups`, `status` and panel render used to validate every manifest, to show three
things of each: when it was made, how many bytes it holds, and its components' states.

An entry is found only by the sha256 of the manifest's bytes, which a listing still reads and
checks against the hash file on every run: a changed manifest never matches an entry. The
file also records a digest of the code that validates manifests, so a tool with other rules
validates afresh. Only listings use it: verify, restore, prune and pull always validate the
manifest in full. Losing the file costs nothing but time; it is rewritten best-effort (a
read-only backup disk simply keeps validating).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict, NonNegativeInt, ValidationError

from persistence.core.atomic import write_atomic
from persistence.core.errors import VerificationError
from persistence.core.fstype import ctime_kept_by_kernel
from persistence.core.results import ComponentStatus
from persistence.store.manifest_io import read_capped
from persistence.store.sealed import stat_signature

if TYPE_CHECKING:
    from persistence.store.manifest import Manifest

CACHE_NAME = ".listing-cache.json"
_RULE_MODULES = (
    "persistence.store.manifest",
    "persistence.store.manifest_types",
    "persistence.store.sealed",
    "persistence.core.results",
)
MAX_CACHE_BYTES = 16 * 1024 * 1024


class ListedManifest(BaseModel):
    """The part of a valid manifest that a listing shows.

    Typed as tightly as a real manifest can give them: a planted entry with a naive time (which
    cannot be sorted beside the others), negative bytes or an unknown state is refused with
    the whole file rather than shown or crashing a listing or a create."""

    model_config = ConfigDict(frozen=True)

    created_at: AwareDatetime
    total_bytes: NonNegativeInt
    components: dict[str, ComponentStatus]

    @classmethod
    def of(cls, manifest: Manifest) -> ListedManifest:
        return cls(
            created_at=manifest.started_at,
            total_bytes=manifest.total_bytes,
            components={c.name: c.status for c in manifest.components},
        )


class _Seen(BaseModel):
    """A backup's manifest and hash file as last read: their stat signature and the sha256."""

    signature: str
    sha256: str


class _CacheFile(BaseModel):
    rules: str
    entries: dict[str, ListedManifest]
    seen: dict[str, _Seen] = {}  # by backup id


@cache
def validation_rules_digest() -> str | None:
    """sha256 of what decides whether a manifest is valid: the modules that define it and the
    pydantic version that runs them (None: the modules are not readable, e.g. from a zip, and
    then nothing is cached)."""
    from pydantic.version import VERSION

    digest = hashlib.sha256(f"pydantic {VERSION}\n".encode())
    for name in _RULE_MODULES:
        # Found, not imported: a listing whose manifests are all remembered builds no model.
        spec = importlib.util.find_spec(name)
        try:
            digest.update(Path(str(spec.origin if spec else None)).read_bytes())
        except OSError:
            return None
    return digest.hexdigest()


class ListingCache:
    """The entries of one backup root; `save` writes them back when a listing added any."""

    def __init__(self, backup_dir: Path) -> None:
        self._path = backup_dir / CACHE_NAME
        self._rules = validation_rules_digest()
        # Elsewhere (FUSE, network filesystems) a ctime may be set back: every manifest is read.
        self._trust_signatures = ctime_kept_by_kernel(backup_dir)
        stored = self._load()
        self._entries = stored.entries if stored else {}
        self._seen = stored.seen if stored else {}
        self._used: set[str] = set()
        self._seen_now: set[str] = set()
        self._changed = False

    def _load(self) -> _CacheFile | None:
        if self._rules is None:
            return None
        try:
            data, _ = read_capped(self._path, MAX_CACHE_BYTES, "listing cache")
            stored = _CacheFile.model_validate_json(data)
        except (VerificationError, ValidationError):
            return None  # missing, unreadable, planted or from another version: start over
        return stored if stored.rules == self._rules else None

    def sha256_if_unchanged(self, backup_id: str, signature: str | None) -> str | None:
        """The sha256 read last time, if the manifest and its hash file have not been touched
        since (same inode, size, mtime and ctime: any write changes the ctime)."""
        seen = self._seen.get(backup_id)
        if (
            not self._trust_signatures
            or seen is None
            or signature is None
            or seen.signature != signature
        ):
            return None
        self._seen_now.add(backup_id)
        return seen.sha256

    def note_read(self, backup_id: str, signature: str | None, sha256: str) -> None:
        """`signature` was taken before the read: a write during it leaves a stale one behind,
        which the next listing does not match, so it reads again."""
        if signature is None or not self._trust_signatures:
            return
        self._seen[backup_id] = _Seen(signature=signature, sha256=sha256)
        self._seen_now.add(backup_id)
        self._changed = True

    def get(self, manifest_sha256: str) -> ListedManifest | None:
        found = self._entries.get(manifest_sha256)
        if found is not None:
            self._used.add(manifest_sha256)
        return found

    def put(self, manifest_sha256: str, listed: ListedManifest) -> None:
        self._entries[manifest_sha256] = listed
        self._used.add(manifest_sha256)
        self._changed = True

    def save(self, *, drop_unused: bool) -> None:
        """Write the entries back if they changed; `drop_unused` (after a full scan of the
        root) forgets the manifests no backup has any more."""
        if drop_unused and (set(self._entries) != self._used or set(self._seen) != self._seen_now):
            self._entries = {k: v for k, v in self._entries.items() if k in self._used}
            self._seen = {k: v for k, v in self._seen.items() if k in self._seen_now}
            self._changed = True
        if not self._changed or self._rules is None:
            return
        stored = _CacheFile(rules=self._rules, entries=self._entries, seen=self._seen)
        body = stored.model_dump_json()
        with contextlib.suppress(OSError):  # read-only or full: the next listing validates again
            write_atomic(self._path, body.encode())
        self._changed = False


def remember_manifest(backup: Path, manifest_sha256: str, manifest: Manifest) -> None:
    """Add a just-committed backup, so that the first listing after it reads and validates
    nothing."""
    listing_cache = ListingCache(backup.parent)
    listing_cache.put(manifest_sha256, ListedManifest.of(manifest))
    listing_cache.note_read(backup.name, stat_signature(backup), manifest_sha256)
    listing_cache.save(drop_unused=False)
