"""Google Cloud Storage through google-cloud-storage: resumable chunked uploads, crc32c checked.

Credentials come from Application Default Credentials; `STORAGE_EMULATOR_HOST` points the
client at an emulator. The SDK retries transient failures chunk by chunk within its own
deadline; what still escapes it is classified here and retried whole by `with_retry`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from persistence.remote.base import (
    SHA256_METADATA_KEY,
    ByteCallback,
    ObjectInfo,
    RemoteError,
    TransientRemoteError,
    check_key,
    ignore_bytes,
    join_prefix,
    listing_prefix,
)
from persistence.remote.errors import describe_failure
from persistence.remote.gcs_sdk import (
    GcsBlob,
    api_error_status,
    is_data_corruption,
    open_bucket,
    retry_exhausted,
    sdk_retry,
)
from persistence.remote.retry import RetryPolicy, with_retry
from persistence.remote.streams import CountingReader, CountingWriter

T = TypeVar("T")
# A multiple of 256 KiB, as the resumable protocol requires; bounds one upload's buffer.
CHUNK_BYTES = 16 * 1024 * 1024
PERMISSIONS = {
    "upload": "storage.objects.create (and storage.objects.delete to replace an object)",
    "stat": "storage.objects.get",
    "list": "storage.objects.list",
    "download": "storage.objects.get",
    "delete": "storage.objects.delete",
}


class GcsRemote:
    def __init__(self, bucket: str, prefix: str, policy: RetryPolicy) -> None:
        self._prefix = prefix
        self._policy = policy
        self._display = f"gs://{bucket}/{prefix}".rstrip("/")
        try:
            self._bucket = open_bucket(bucket)
        except Exception as exc:  # google.auth raises several unrelated types
            raise RemoteError(
                f"cannot open {self._display}: no usable Google credentials "
                f"({type(exc).__name__}); set GOOGLE_APPLICATION_CREDENTIALS or run on GCP"
            ) from None

    @property
    def display(self) -> str:
        return self._display

    def _sdk_retry(self) -> object:
        return sdk_retry(max(self._policy.deadline_seconds / 2, 1.0))

    def _call(self, operation: str, key: str, action: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return action()
            except Exception as exc:
                raise classify(exc, operation, f"{self._display}/{key}") from exc

        return with_retry(self._policy, attempt)

    def _blob(self, key: str, chunked: bool = False) -> GcsBlob:
        name = join_prefix(self._prefix, check_key(key))
        return self._bucket.blob(name, chunk_size=CHUNK_BYTES if chunked else None)

    def put_file(
        self, key: str, source: Path, *, sha256: str, on_bytes: ByteCallback = ignore_bytes
    ) -> ObjectInfo:
        size = source.stat().st_size

        def upload() -> ObjectInfo:
            blob = self._blob(key, chunked=True)
            blob.metadata = {SHA256_METADATA_KEY: sha256}
            with source.open("rb") as handle:
                blob.upload_from_file(
                    CountingReader(handle, on_bytes),
                    size=size,
                    checksum="crc32c",
                    retry=self._sdk_retry(),
                    timeout=self._policy.request_timeout,
                )
            return self._info(key, blob)

        return self._call("upload", key, upload)

    def put_bytes(self, key: str, data: bytes, *, sha256: str) -> ObjectInfo:
        def upload() -> ObjectInfo:
            blob = self._blob(key)
            blob.metadata = {SHA256_METADATA_KEY: sha256}
            blob.upload_from_file(
                io.BytesIO(data),
                size=len(data),
                checksum="crc32c",
                retry=self._sdk_retry(),
                timeout=self._policy.request_timeout,
            )
            return self._info(key, blob)

        return self._call("upload", key, upload)

    def stat(self, key: str) -> ObjectInfo | None:
        def fetch() -> ObjectInfo | None:
            blob = self._bucket.get_blob(
                join_prefix(self._prefix, check_key(key)),
                retry=self._sdk_retry(),
                timeout=self._policy.request_timeout,
            )
            return None if blob is None else self._info(key, blob)

        return self._call("stat", key, fetch)

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        full = listing_prefix(self._prefix, prefix)

        def fetch() -> list[ObjectInfo]:
            blobs = self._bucket.list_blobs(
                prefix=full, retry=self._sdk_retry(), timeout=self._policy.request_timeout
            )
            strip = len(self._prefix) + 1 if self._prefix else 0
            return [self._info(blob.name[strip:], blob) for blob in blobs]

        return iter(self._call("list", prefix or "", fetch))

    def download(self, key: str, sink: BinaryIO, *, on_bytes: ByteCallback = ignore_bytes) -> None:
        start = sink.tell()

        def fetch() -> None:
            sink.seek(start)
            sink.truncate()
            # One streamed GET (bounded memory all the same); chunked ranged downloads trip
            # over empty objects on the emulator and gain nothing here.
            self._blob(key).download_to_file(
                CountingWriter(sink, on_bytes),
                checksum="crc32c",
                retry=self._sdk_retry(),
                timeout=self._policy.request_timeout,
            )

        self._call("download", key, fetch)

    def delete(self, key: str) -> None:
        def remove() -> None:
            try:
                self._blob(key).delete(
                    retry=self._sdk_retry(), timeout=self._policy.request_timeout
                )
            except Exception as exc:
                found = api_error_status(exc)
                if found is None or found[0] != 404:
                    raise

        self._call("delete", key, remove)

    @staticmethod
    def _info(key: str, blob: GcsBlob) -> ObjectInfo:
        metadata: dict[str, str] = dict(blob.metadata or {})
        crc = blob.crc32c
        return ObjectInfo(
            key=key,
            size=int(blob.size or 0),
            checksum=f"crc32c:{crc}" if crc else None,
            sha256=metadata.get(SHA256_METADATA_KEY),
        )


def classify(exc: Exception, operation: str, where: str) -> RemoteError:
    """One line: the operation, the object, the HTTP status and the service's own message."""
    from requests import exceptions as http

    if isinstance(exc, RemoteError):
        return exc
    found = api_error_status(exc)
    if found is not None:
        status, message = found
        return describe_failure(operation, where, status, message, PERMISSIONS[operation])
    last = retry_exhausted(exc)
    if last is not None:
        inner = classify(last, operation, where)
        return TransientRemoteError(f"{inner.message} (the client's own retries ran out)")
    if is_data_corruption(exc):
        return TransientRemoteError(f"{operation} of {where} failed: checksum mismatch")
    if isinstance(exc, http.RequestException | ConnectionError | TimeoutError):
        return TransientRemoteError(f"{operation} of {where} failed: {type(exc).__name__}")
    raise exc
