"""Every error the storage adapter raises, under one root.

asyncpg, SQLAlchemy and socket errors are translated here and never leak upward. The branch an
error sits on tells the caller what to do::

    StorageError                  a bug or a refused statement: log it, do not retry blindly
    ├── StorageUnavailable        retryable: connection refused or lost, timeout, server busy,
    │                             serialization failure or deadlock (the transaction rolled back)
    ├── StorageConfigError        fatal: bad credentials, missing database, no privilege
    ├── SchemaNotAtHead           fatal: the database needs `dialerd migrate`
    └── LeaseLost                 the phone is not leased by this node: it must not be dialled

``PgStore.create_attempt`` also raises ``dialerd.limits.LimitReached``: not a storage failure
but the port's refusal of a dial over an attempt limit (the caller defers the phone).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy.exc

from dialerd.errors import DialerdError, Fatal

__all__ = [
    "LeaseLost",
    "SchemaNotAtHead",
    "StorageConfigError",
    "StorageError",
    "StorageUnavailable",
    "translate_errors",
]

# SQLSTATE classes and codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
_RETRYABLE_CLASSES = ("08", "53", "57")  # connection exception, insufficient resources, operator
_RETRYABLE_CODES = ("40001", "40P01")  # serialization failure, deadlock detected
_CONFIG_CLASSES = ("28", "3D")  # invalid authorization, invalid catalog name (no such database)
_CONFIG_CODES = ("42501",)  # insufficient privilege
_CONNECTION_TROUBLE = (
    OSError,
    TimeoutError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection free in time
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.OperationalError,
)


class StorageError(DialerdError):
    """Root of every error raised by ``dialerd.storage``."""


class StorageUnavailable(StorageError):
    """PostgreSQL cannot be reached or is busy right now; retry with backoff."""


class StorageConfigError(StorageError, Fatal):
    """PostgreSQL refused us for a reason retrying cannot fix; correct the configuration."""


class SchemaNotAtHead(StorageError, Fatal):
    """The database schema is not the one this dialerd was built for."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current = current
        self.head = head
        shown = current if current is not None else "none (empty database)"
        super().__init__(
            f"database is at revision {shown}, dialerd needs {head}: run `dialerd migrate`"
        )


class LeaseLost(StorageError):
    """The phone is no longer leased by this node (expired and taken, or released)."""

    def __init__(self, phone_id: int, node: str) -> None:
        self.phone_id = phone_id
        self.node = node
        super().__init__(f"phone {phone_id} is not leased by node {node!r}; not dialling it")


def sqlstate_of(exc: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE behind a (possibly wrapped) driver error, if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "sqlstate", None)
        if isinstance(code, str):
            return code
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return None


def classify(exc: BaseException) -> type[StorageError]:
    """Which branch of the tree a foreign error belongs on."""
    code = sqlstate_of(exc)
    if code is not None:
        return _classify_sqlstate(code)
    connection_trouble = isinstance(exc, _CONNECTION_TROUBLE) or (
        isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated
    )
    return StorageUnavailable if connection_trouble else StorageError


def _classify_sqlstate(code: str) -> type[StorageError]:
    if code.startswith(_RETRYABLE_CLASSES) or code in _RETRYABLE_CODES:
        return StorageUnavailable
    if code.startswith(_CONFIG_CLASSES) or code in _CONFIG_CODES:
        return StorageConfigError
    return StorageError


@contextmanager
def translate_errors(doing: str) -> Iterator[None]:
    """Re-raise foreign errors met while ``doing`` something as :class:`StorageError`."""
    try:
        yield
    except StorageError:
        raise
    except (sqlalchemy.exc.SQLAlchemyError, OSError, TimeoutError) as exc:
        raise classify(exc)(f"{doing}: {_describe(exc)}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("asyncpg"):
            raise classify(exc)(f"{doing}: {_describe(exc)}") from exc
        raise


def _describe(exc: BaseException) -> str:
    """The innermost driver error's own message, without SQLAlchemy's statement dump."""
    innermost = exc
    while True:
        orig = getattr(innermost, "orig", None)
        nxt = orig if isinstance(orig, BaseException) else innermost.__cause__
        if nxt is None or nxt is innermost:
            break
        innermost = nxt
    lines = str(innermost).strip().splitlines()
    return f"{type(innermost).__name__}: {lines[0] if lines else 'no message'}"
