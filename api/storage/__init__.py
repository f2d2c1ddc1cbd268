"""Where the centre keeps evidence files (clips): a small interface, a local folder or an S3 bucket."""

from api.storage.base import ObjectStore, StorageError, StoreConfig, open_store
from api.storage.local import LocalStore, LocalStoreConfig
from api.storage.s3 import S3Store, S3StoreConfig

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
