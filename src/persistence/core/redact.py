"""One redaction for every text the tool prints or writes: credentials never leave the process.

A server may echo a request header in its error text, an exception may quote a URL with a
password in it, a user may paste a signed URL into a setting. The literal API key is not the
only form a secret takes, so every known shape of one is masked, wherever the text came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# Each pattern keeps what names the secret (group 1) and masks what follows it.
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # `Authorization: Basic dXNlcjpwYXNz`, `Proxy-Authorization: Bearer …`, `authorization=…`
    re.compile(
        r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:[a-z][\w-]*\s+)?)"
        r"[^\s,;\"'&}\]]+"
    ),
    # A bare scheme with its credentials: `Bearer eyJ…`, `Basic dXNlcjpwYXNz`, `Token abc…`
    re.compile(r"(?i)\b((?:bearer|basic|token|digest)\s+)[a-z0-9._~+/=-]{6,}"),
    # `api-key: …`, `X-Api-Key=…`, `"api_key": "…"`, `password=…`, `access_token=…`
    re.compile(
        r"(?i)\b((?:x-)?(?:api[-_]?key|access[-_]?token|refresh[-_]?token|auth[-_]?token|"
        r"password|passwd|secret|client[-_]?secret)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s,;\"'&}\]]+"
    ),
    # Signed URLs: S3/GCS/Azure signatures and credentials in the query string
    re.compile(
        r"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|"
        r"x-goog-credential|signature|sig|token|key|apikey|api_key)=)[^&\s\"'#]+"
    ),
    # URL userinfo: `https://user:pass@host` (the user name alone can be a token, too)
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@\"'<>]+@"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every credential-shaped part and every literal `secret` masked."""
    for secret in secrets:
        if len(secret) >= 4:  # masking "a" everywhere would only garble the text
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_masked, text)
    return text


def _masked(match: re.Match[str]) -> str:
    keep = match.group(1)
    if keep.endswith("://"):
        return f"{keep}{MASK}@"
    return f"{keep}{MASK}"


def one_line(text: str) -> str:
    """A message as one line: libraries (DuckDB, httpx) put newlines into their error texts."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
