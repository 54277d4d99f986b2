"""The HTTP side of the Qdrant client: one httpx connection pool, explicit timeouts, retries
of idempotent requests on a dropped connection, and error texts that name what failed.

Keep-alive: Qdrant closes a connection after `http_keep_alive_timeout_sec` idle seconds,
5 by default (`src/settings.rs` in qdrant/qdrant), exactly httpx's default keep-alive expiry.
A request sent on a connection the server is closing at that moment sees "Server
disconnected": our pool forgets idle connections sooner, and a GET/DELETE (or a read-only
POST) that still meets a dropped connection is sent once more.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, JsonValue, SecretStr, ValidationError

from persistence.core.errors import QdrantError
from persistence.core.redact import redact
from persistence.core.settings import redact_url
from persistence.qdrant.actions import Action
from persistence.qdrant.wire import error_text, split_userinfo

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)
HTTP_OK, HTTP_ACCEPTED, HTTP_UNAUTHORIZED, HTTP_FORBIDDEN = 200, 202, 401, 403
# Under Qdrant's 5 s idle close, with room for a slow network.
KEEPALIVE_EXPIRY = 2.0
# The connection dropped under the request without an answer: safe to resend a request
# that changes nothing (or nothing more the second time).
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_IDEMPOTENT = frozenset({"GET", "DELETE", "HEAD"})


class QdrantTimeout(QdrantError):
    """A request got no answer in time (the server may still be working on it)."""


class QdrantStatusError(QdrantError):
    """The server (or a proxy in front of it) answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class QdrantTransport:
    """One connection pool to one Qdrant node; every call has an explicit timeout.

    The API key lives only in the httpx client's default headers: it is never formatted into
    a message, and any error text the server sends back is scrubbed of it just in case.
    A `user:password@` part of the URL (a reverse proxy's basic auth) is taken out of the URL
    httpx sees and sent as `httpx.BasicAuth` instead: httpx logs every request's full URL.
    """

    def __init__(self, url: str, *, api_key: SecretStr | None, timeout: float) -> None:
        given = url.rstrip("/")
        self.url, auth, userinfo = split_userinfo(given)
        self.shown_url = redact_url(given)
        self.timeout = timeout
        self._secret = api_key.get_secret_value() if api_key is not None else None
        self._given_url = given
        self._basic_auth = auth is not None
        # Texts that would reveal the URL's password: the raw userinfo and the password, both
        # as written in the URL and decoded; longest first so the widest match is replaced.
        password = auth[1] if auth is not None else ""
        raw_password = userinfo.partition(":")[2]
        self._hidden = sorted(
            {t for t in (userinfo, raw_password, password) if t}, key=len, reverse=True
        )
        headers = {"api-key": self._secret} if self._secret else {}
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            auth=httpx.BasicAuth(*auth) if auth is not None else None,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def _send(
        self,
        method: str,
        path: str,
        action: Action,
        collection: str | None,
        *,
        params: Mapping[str, str | int] | None = None,
        files: dict[str, Any] | None = None,
        json: JsonValue = None,
        read_only: bool = False,
    ) -> httpx.Response:
        logger.debug("qdrant %s %s%s", method, self.shown_url, path)
        retry = (method in _IDEMPOTENT or read_only) and files is None
        for attempt in (1, 2):
            try:
                response = self._http.request(method, path, params=params, files=files, json=json)
            except httpx.TimeoutException as exc:
                raise QdrantTimeout(
                    self._prefix(collection) + f": {action.label} got no answer within "
                    f"{self.timeout:g} s ({type(exc).__name__})"
                ) from None
            except _DROPPED as exc:
                if retry and attempt == 1:
                    logger.info("qdrant: connection dropped under %s %s; resending", method, path)
                    continue
                raise self._transport_error(exc, action, collection) from None
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, action, collection) from None
            if response.status_code not in (HTTP_OK, HTTP_ACCEPTED):
                raise self._status_error(response, action, collection)
            return response
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _parse(
        self, response: httpx.Response, model: type[_M], action: Action, collection: str | None
    ) -> _M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            first = exc.errors()[0] if exc.errors() else None
            where = ".".join(str(part) for part in first["loc"]) if first else "?"
            raise self._error(
                action, collection, f"unexpected answer from the server (field {where})"
            ) from None

    def _prefix(self, collection: str | None) -> str:
        if collection is None:
            return f"Qdrant at {self.shown_url}"
        return f"Qdrant collection '{collection}' at {self.shown_url}"

    def _error(self, action: Action, collection: str | None, detail: str) -> QdrantError:
        return QdrantError(f"{self._prefix(collection)}: cannot {action.label}: {detail}")

    def _scrub(self, text: str) -> str:
        # httpx messages may quote the URL (with any user:password) and a server could echo
        # the key back: neither may reach a message.
        text = text.replace(self._given_url, self.shown_url)
        for hidden in self._hidden:
            text = text.replace(hidden, "***")
        # Then every credential shape (a header echoed as `Authorization: Basic …`).
        return redact(text, [self._secret] if self._secret else [])

    def _transport_error(
        self, exc: httpx.HTTPError, action: Action, collection: str | None
    ) -> QdrantError:
        if isinstance(exc, httpx.ConnectError):
            detail = f"cannot connect ({self._scrub(str(exc)) or type(exc).__name__})"
        else:
            detail = f"{type(exc).__name__}: {self._scrub(str(exc))}"
        return self._error(action, collection, detail)

    def _status_error(
        self, response: httpx.Response, action: Action, collection: str | None
    ) -> QdrantStatusError:
        status = response.status_code
        text = self._scrub(error_text(response))
        detail = f"HTTP {status}: {text}" if text else f"HTTP {status}"
        if status == HTTP_FORBIDDEN:
            detail += f" ({action.forbidden_hint})"
        elif status == HTTP_UNAUTHORIZED:
            detail += " (the server wants a valid API key: check QDRANT_API_KEY" + (
                ", and the user:password in QDRANT_URL)" if self._basic_auth else ")"
            )
        message = f"{self._prefix(collection)}: cannot {action.label}: {detail}"
        return QdrantStatusError(message, status)


def server_date(response: httpx.Response) -> datetime | None:
    """The server's clock from the `Date` header (second resolution, UTC), if it sent one."""
    value = response.headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
