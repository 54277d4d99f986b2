"""The slice of google-cloud-storage this tool uses, typed: the SDK ships no type information.

Only this module touches the SDK's untyped objects; everything else sees these Protocols.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, cast


class GcsBlob(Protocol):
    name: str
    size: int | None
    crc32c: str | None
    metadata: Mapping[str, str] | None

    def upload_from_file(
        self, file_obj: object, *, size: int, checksum: str, retry: object, timeout: float
    ) -> None: ...

    def download_to_file(
        self, file_obj: object, *, checksum: str, retry: object, timeout: float
    ) -> None: ...

    def delete(self, *, retry: object, timeout: float) -> None: ...


class GcsBucket(Protocol):
    def blob(self, blob_name: str, chunk_size: int | None = None) -> GcsBlob: ...

    def get_blob(self, blob_name: str, *, retry: object, timeout: float) -> GcsBlob | None: ...

    def list_blobs(self, *, prefix: str, retry: object, timeout: float) -> Iterable[GcsBlob]: ...


# google-cloud-storage ships no type stubs: its imports and members below are untyped, and
# the Protocols above (GcsBucket, GcsBlob) give this module's callers the types.


def open_bucket(name: str) -> GcsBucket:
    """A handle on `name` (no request yet); ADC or STORAGE_EMULATOR_HOST decide where it goes."""
    from google.cloud import storage  # pyright: ignore[reportMissingTypeStubs]

    client = storage.Client()
    return cast(GcsBucket, client.bucket(name))  # pyright: ignore[reportUnknownMemberType]


def sdk_retry(timeout: float) -> object:
    """The SDK's own retry (429, 5xx, connection errors, per chunk), bounded by `timeout`."""
    from google.cloud.storage.retry import (  # pyright: ignore[reportMissingTypeStubs]
        DEFAULT_RETRY,
    )

    return DEFAULT_RETRY.with_timeout(timeout)


def api_error_status(exc: Exception) -> tuple[int, str] | None:
    """(HTTP status, the service's message) for the SDK's own error types, else None."""
    from google.api_core.exceptions import GoogleAPICallError
    from google.cloud.storage import (  # pyright: ignore[reportMissingTypeStubs]
        exceptions as media,
    )

    if isinstance(exc, GoogleAPICallError):
        return int(exc.code or 0), str(exc.message)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    invalid = cast(type[Exception], media.InvalidResponse)
    if isinstance(exc, invalid):
        response: object = getattr(exc, "response", None)
        return int(getattr(response, "status_code", 0) or 0), str(exc)
    return None


def is_data_corruption(exc: Exception) -> bool:
    from google.cloud.storage import (  # pyright: ignore[reportMissingTypeStubs]
        exceptions as media,
    )

    return isinstance(exc, cast(type[Exception], media.DataCorruption))


def retry_exhausted(exc: Exception) -> Exception | None:
    """For the SDK's "retries ran out" error: the last failure it saw, else None."""
    from google.api_core.exceptions import RetryError

    if isinstance(exc, RetryError):
        cause: object = exc.cause  # pyright: ignore[reportUnknownMemberType]
        return cause if isinstance(cause, Exception) else TimeoutError("timeout")
    return None
