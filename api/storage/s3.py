"""Evidence files in an S3-compatible object store (MinIO, Ceph RGW, AWS S3, ...), through `minio`."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from minio import Minio
from minio.error import S3Error
from pydantic import Field, SecretStr
from urllib3 import BaseHTTPResponse

from api.storage.base import BLOCK, StorageError, check_key
from gridwatch.strict import Strict


class S3StoreConfig(Strict):
    """A bucket of an S3-compatible store."""

    type: Literal["s3"] = Field(description="An S3-compatible object store")
    endpoint: str = Field(min_length=1, description="host:port of the store, e.g. minio.internal:9000")
    bucket: str = Field(
        min_length=3, max_length=63, description="Bucket of the evidence (created if missing)"
    )
    access_key: str = Field(min_length=1, description="Access key id")
    secret_key: SecretStr = Field(description="Secret access key")
    region: str | None = Field(default=None, description="Region, when the store needs one")
    secure: bool = Field(default=True, description="HTTPS (false: plain HTTP, for a store on a private net)")
    prefix: str = Field(default="", description="Prefix of every key, e.g. gridwatch/ (empty: none)")


class S3Store:
    """Objects in one bucket; ranges are read with the store's own range requests.

    Example:
        >>> store = S3Store(S3StoreConfig(type="s3", endpoint="127.0.0.1:9000", bucket="evidence",
        ...                               access_key="k", secret_key="s", secure=False))
    """

    def __init__(self, config: S3StoreConfig) -> None:
        self.config = config
        self.name = f"s3:{config.endpoint}/{config.bucket}"
        self._client = Minio(
            config.endpoint,
            access_key=config.access_key,
            secret_key=config.secret_key.get_secret_value(),
            secure=config.secure,
            region=config.region,
        )
        try:
            if not self._client.bucket_exists(config.bucket):
                self._client.make_bucket(config.bucket)
        except S3Error as exc:
            raise StorageError(f"{self.name}: cannot use the bucket: {exc}") from exc

    def _key(self, key: str) -> str:
        return self.config.prefix + check_key(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key`."""
        self._call(
            key,
            lambda: self._client.put_object(self.config.bucket, self._key(key), io.BytesIO(data), len(data)),
        )

    def put_file(self, key: str, path: Path) -> None:
        """Upload the file at `path` (multipart when large)."""
        self._call(key, lambda: self._client.fput_object(self.config.bucket, self._key(key), str(path)))

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes `start`..`end` (inclusive) of the object, streamed."""
        length = 0 if end is None else end - start + 1
        try:
            response = self._client.get_object(
                self.config.bucket, self._key(key), offset=start, length=length
            )
        except S3Error as exc:
            raise StorageError(f"{self.name}: cannot read {key!r}: {exc.code}") from exc
        return _stream(response)

    def size(self, key: str) -> int | None:
        """The object's size, or None."""
        try:
            stat = self._client.stat_object(self.config.bucket, self._key(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return None
            raise StorageError(f"{self.name}: cannot stat {key!r}: {exc.code}") from exc
        return None if stat.size is None else int(stat.size)

    def delete(self, key: str) -> None:
        """Remove the object."""
        self._call(key, lambda: self._client.remove_object(self.config.bucket, self._key(key)))

    def keys(self, prefix: str) -> list[str]:
        """Keys starting with `prefix`."""
        full = self.config.prefix + prefix
        objects = self._client.list_objects(self.config.bucket, prefix=full, recursive=True)
        return sorted(str(o.object_name)[len(self.config.prefix) :] for o in objects if o.object_name)

    def _call(self, key: str, action: Callable[[], object]) -> None:
        try:
            action()
        except S3Error as exc:
            raise StorageError(f"{self.name}: {key!r}: {exc.code} {exc.message}") from exc


def _stream(response: BaseHTTPResponse) -> Iterator[bytes]:
    try:
        yield from response.stream(BLOCK)
    finally:
        response.close()
        response.release_conn()
