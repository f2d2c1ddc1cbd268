"""Where the centre keeps evidence files (clips): a small interface, a local folder or an S3 bucket."""

from typing import Annotated

from pydantic import Field

from api.storage.base import ObjectStore, StorageError
from api.storage.local import LocalStore, LocalStoreConfig
from api.storage.s3 import S3Store, S3StoreConfig

StoreConfig = Annotated[LocalStoreConfig | S3StoreConfig, Field(discriminator="type")]


def open_store(config: LocalStoreConfig | S3StoreConfig) -> ObjectStore:
    """The store a config describes (chosen by its `type`)."""
    if isinstance(config, LocalStoreConfig):
        return LocalStore(config)
    return S3Store(config)


__all__ = [
    "LocalStore",
    "LocalStoreConfig",
    "ObjectStore",
    "S3Store",
    "S3StoreConfig",
    "StorageError",
    "StoreConfig",
    "open_store",
]
