"""How requests and answers look on the wire: encoded paths, credentials, error texts."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx
from pydantic import ValidationError

from persistence.qdrant import models

MAX_ERROR_TEXT = 400


def request_path(*segments: str) -> str:
    """A request path from raw segments, each percent-encoded on its own.

    Qdrant allows `#`, `%`, `?` and spaces in collection names: unencoded, `docs#v2` would
    ask for `/collections/docs` (the rest is a fragment) and `a?b` would become a query.
    """
    return "".join("/" + quote(segment, safe="") for segment in segments)


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None, str]:
    """`url` without any `user:password@`, the decoded pair, and the raw userinfo text."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, ""
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    bare = urlunsplit(parts._replace(netloc=host))
    return bare, (unquote(user), unquote(password)), userinfo


def error_text(response: httpx.Response) -> str:
    """Qdrant's own error text from `{"status": {"error": ...}}`, else the body's start."""
    try:
        envelope = models.ErrorResponse.model_validate_json(response.content)
    except ValidationError:
        envelope = None
    if envelope is not None and envelope.status is not None and envelope.status.error:
        text = envelope.status.error
    else:
        text = response.content[:MAX_ERROR_TEXT].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:MAX_ERROR_TEXT]
