"""How a failed remote call becomes one line, and whether it is worth retrying."""

from __future__ import annotations

import re

from persistence.remote.base import RemoteError, TransientRemoteError

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Upload session ids, signatures and tokens travel in query strings; user:password in hosts.
_URL = re.compile(r"(https?://)(?:[^/\s@]*@)?([^\s?]*)(\?\S*)?")


def scrub(text: str) -> str:
    """The text with every URL cut to scheme://host/path: no query, no credentials."""
    return _URL.sub(lambda m: f"{m.group(1)}{m.group(2)}", text)


def describe_failure(
    operation: str, where: str, status: int, message: str, permission: str
) -> RemoteError:
    """`upload of gs://b/k failed: HTTP 403: <service message>; needs permission ...`."""
    text = scrub(" ".join(message.split()))[:300]
    line = f"{operation} of {where} failed: HTTP {status}: {text}"
    if status == 403:
        line += f"; the credentials need the permission {permission} on this bucket"
    if status == 401:
        line += "; the credentials were refused: check GOOGLE_APPLICATION_CREDENTIALS / AWS_*"
    if status in TRANSIENT_STATUSES:
        return TransientRemoteError(line)
    return RemoteError(line)
