"""S3 and S3-compatible stores through boto3: multipart uploads with a CRC32 checked per part.

Credentials, region and endpoint come from the standard `AWS_*` variables (incl.
`AWS_ENDPOINT_URL`, `AWS_REGION`). botocore retries transient failures ("standard" mode);
what still escapes it is classified here and retried whole by `with_retry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

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
from persistence.remote.errors import describe_failure, scrub
from persistence.remote.retry import RetryPolicy, with_retry

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

T = TypeVar("T")
PART_BYTES = 8 * 1024 * 1024
# Parts in flight at once: peak memory stays near PART_BYTES x this, whatever the file size.
PARTS_IN_FLIGHT = 4
PERMISSIONS = {
    "upload": "s3:PutObject (plus s3:AbortMultipartUpload for large files)",
    "stat": "s3:GetObject",
    "list": "s3:ListBucket",
    "download": "s3:GetObject",
    "delete": "s3:DeleteObject",
}


class S3Remote:
    def __init__(self, bucket: str, prefix: str, policy: RetryPolicy) -> None:
        import boto3
        from botocore.config import Config

        self._bucket = bucket
        self._prefix = prefix
        self._policy = policy
        self._display = f"s3://{bucket}/{prefix}".rstrip("/")
        config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=min(policy.request_timeout, 30.0),
            read_timeout=policy.request_timeout,
        )
        session = boto3.session.Session()
        # boto3's session.client is untyped; boto3-stubs' S3Client types what it returns.
        self._client: S3Client = session.client("s3", config=config)  # pyright: ignore[reportUnknownMemberType]

    @property
    def display(self) -> str:
        return self._display

    def _transfer_config(self) -> TransferConfig:
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(
            multipart_threshold=PART_BYTES,
            multipart_chunksize=PART_BYTES,
            max_concurrency=PARTS_IN_FLIGHT,
        )
        # s3transfer otherwise buffers up to 10 parts of a stream in memory.
        config.max_in_memory_upload_chunks = PARTS_IN_FLIGHT
        config.max_in_memory_download_chunks = PARTS_IN_FLIGHT
        return config

    def _name(self, key: str) -> str:
        return join_prefix(self._prefix, check_key(key))

    def _call(self, operation: str, key: str, action: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return action()
            except Exception as exc:
                raise classify(exc, operation, f"{self._display}/{key}") from exc

        return with_retry(self._policy, attempt)

    def put_file(
        self, key: str, source: Path, *, sha256: str, on_bytes: ByteCallback = ignore_bytes
    ) -> ObjectInfo:
        def upload() -> ObjectInfo:
            # By file name, s3transfer reads each part from disk as it is sent: lower peak
            # memory than a file object, whose parts are buffered.
            self._client.upload_file(
                str(source),
                self._bucket,
                self._name(key),
                ExtraArgs={
                    "Metadata": {SHA256_METADATA_KEY: sha256},
                    "ChecksumAlgorithm": "CRC32",
                },
                Callback=on_bytes,
                Config=self._transfer_config(),
            )
            return self._stat_required(key)

        return self._call("upload", key, upload)

    def put_bytes(self, key: str, data: bytes, *, sha256: str) -> ObjectInfo:
        def upload() -> ObjectInfo:
            self._client.put_object(
                Bucket=self._bucket,
                Key=self._name(key),
                Body=data,
                Metadata={SHA256_METADATA_KEY: sha256},
                ChecksumAlgorithm="CRC32",
            )
            return self._stat_required(key)

        return self._call("upload", key, upload)

    def _stat_required(self, key: str) -> ObjectInfo:
        info = self._head(key)
        if info is None:
            raise TransientRemoteError(f"upload of {self._display}/{key}: object not visible yet")
        return info

    def _head(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(
                Bucket=self._bucket, Key=self._name(key), ChecksumMode="ENABLED"
            )
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise
        return _info_from_head(key, head)

    def stat(self, key: str) -> ObjectInfo | None:
        return self._call("stat", key, lambda: self._head(key))

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        full = listing_prefix(self._prefix, prefix)
        strip = len(self._prefix) + 1 if self._prefix else 0

        def fetch() -> list[ObjectInfo]:
            found: list[ObjectInfo] = []
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=full):
                for item in page.get("Contents", []):
                    # Listings carry no user metadata: callers `stat` what they must trust.
                    name, size = item.get("Key", ""), item.get("Size", 0)
                    found.append(ObjectInfo(name[strip:], size, None, None))
            return found

        return iter(self._call("list", prefix or "", fetch))

    def download(self, key: str, sink: BinaryIO, *, on_bytes: ByteCallback = ignore_bytes) -> None:
        start = sink.tell()

        def fetch() -> None:
            sink.seek(start)
            sink.truncate()
            self._client.download_fileobj(
                self._bucket,
                self._name(key),
                sink,
                ExtraArgs={"ChecksumMode": "ENABLED"},
                Callback=on_bytes,
                Config=self._transfer_config(),
            )

        self._call("download", key, fetch)

    def delete(self, key: str) -> None:
        def remove() -> None:
            self._client.delete_object(Bucket=self._bucket, Key=self._name(key))

        self._call("delete", key, remove)


def _info_from_head(key: str, head: HeadObjectOutputTypeDef) -> ObjectInfo:
    crc = head.get("ChecksumCRC32")
    return ObjectInfo(
        key=key,
        size=int(head.get("ContentLength", 0)),
        checksum=f"crc32:{crc}" if crc else None,
        sha256=head.get("Metadata", {}).get(SHA256_METADATA_KEY),
    )


def classify(exc: Exception, operation: str, where: str) -> RemoteError:
    """One line: the operation, the object, the HTTP status and the service's own message."""
    from boto3.exceptions import S3UploadFailedError
    from botocore import exceptions as aws

    if isinstance(exc, RemoteError):
        return exc
    if isinstance(exc, S3UploadFailedError) and isinstance(exc.__context__, Exception):
        return classify(exc.__context__, operation, where)
    if isinstance(exc, aws.ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        error = exc.response.get("Error", {})
        message = f"{error.get('Code', '')} {error.get('Message', '')}".strip()
        return describe_failure(operation, where, status, message, PERMISSIONS[operation])
    if isinstance(exc, aws.NoCredentialsError | aws.PartialCredentialsError):
        return RemoteError(
            f"{operation} of {where} failed: no AWS credentials (set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or a profile or role)"
        )
    if isinstance(exc, aws.FlexibleChecksumError):
        return TransientRemoteError(f"{operation} of {where} failed: checksum mismatch")
    if isinstance(exc, aws.ConnectionError | aws.HTTPClientError | ConnectionError | TimeoutError):
        return TransientRemoteError(f"{operation} of {where} failed: {scrub(str(exc))[:200]}")
    raise exc
