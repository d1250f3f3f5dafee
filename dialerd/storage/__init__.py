"""PostgreSQL storage for dialerd: schema revisions, the dialing store, bulk lead loading.

SQLAlchemy and asyncpg live only inside this package; what leaves it are frozen values from
``dialerd.domain`` and errors from :mod:`dialerd.storage.errors`.
"""

from dialerd.storage.errors import (
    LeaseLost,
    SchemaNotAtHead,
    StorageConfigError,
    StorageError,
    StorageUnavailable,
)
from dialerd.storage.schema import current_revision, downgrade, head_revision, migrate
from dialerd.storage.store import PgStore

__all__ = [
    "LeaseLost",
    "PgStore",
    "SchemaNotAtHead",
    "StorageConfigError",
    "StorageError",
    "StorageUnavailable",
    "current_revision",
    "downgrade",
    "head_revision",
    "migrate",
]
