"""Error translation at the storage boundary, and database URLs."""

from __future__ import annotations

import pytest
import sqlalchemy.exc

from dialerd.storage.connect import async_url, plain_dsn
from dialerd.storage.errors import (
    LeaseLost,
    SchemaNotAtHead,
    StorageConfigError,
    StorageError,
    StorageUnavailable,
    translate_errors,
)


class DriverError(Exception):
    """Stands in for asyncpg's exceptions, which carry the SQLSTATE."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(sqlstate: str, message: str = "boom") -> sqlalchemy.exc.DBAPIError:
    """A driver error as SQLAlchemy raises it: a DBAPIError whose ``orig`` chains to it."""
    adapted = Exception("adapted")
    adapted.__cause__ = DriverError(sqlstate, message)
    return sqlalchemy.exc.DBAPIError("SELECT 1", {}, adapted)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (wrapped("08006"), StorageUnavailable),  # connection failure
        (wrapped("57P01"), StorageUnavailable),  # admin shutdown
        (wrapped("53300"), StorageUnavailable),  # too many connections
        (wrapped("40001"), StorageUnavailable),  # serialization failure
        (wrapped("40P01"), StorageUnavailable),  # deadlock
        (wrapped("28P01"), StorageConfigError),  # wrong password
        (wrapped("3D000"), StorageConfigError),  # no such database
        (wrapped("42501"), StorageConfigError),  # insufficient privilege
        (wrapped("23505"), StorageError),  # unique violation: a bug, not weather
        (ConnectionRefusedError(111, "refused"), StorageUnavailable),
        (TimeoutError(), StorageUnavailable),
        (sqlalchemy.exc.TimeoutError("pool"), StorageUnavailable),
    ],
)
def test_foreign_errors_land_on_the_right_branch(
    error: Exception, expected: type[StorageError]
) -> None:
    with pytest.raises(StorageError) as raised, translate_errors("claiming due phones"):
        raise error
    assert type(raised.value) is expected
    assert raised.value.__cause__ is error
    assert str(raised.value).startswith("claiming due phones: ")


def test_the_message_is_the_drivers_not_the_statement_dump() -> None:
    with pytest.raises(StorageError) as raised, translate_errors("writing"):
        raise wrapped("23505", 'duplicate key value violates "pk"\nDETAIL: ...')
    assert str(raised.value) == 'writing: DriverError: duplicate key value violates "pk"'


def test_our_own_errors_and_programming_errors_pass_through() -> None:
    with pytest.raises(LeaseLost), translate_errors("x"):
        raise LeaseLost(5, "node-a")
    with pytest.raises(KeyError), translate_errors("x"):
        raise KeyError("a bug stays a bug")


def test_schema_not_at_head_says_what_to_run() -> None:
    assert str(SchemaNotAtHead("0001", "0002")) == (
        "database is at revision 0001, dialerd needs 0002: run `dialerd migrate`"
    )
    assert str(SchemaNotAtHead(None, "0001")).startswith("database is at revision none (empty")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@h:5/db",
        "postgres://u:p@h:5/db",
        "postgresql+asyncpg://u:p@h:5/db",
    ],
)
def test_urls_get_the_asyncpg_driver(url: str) -> None:
    assert async_url(url) == "postgresql+asyncpg://u:p@h:5/db"
    assert plain_dsn(url) == "postgresql://u:p@h:5/db"


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="needs a postgresql:// URL, not mysql://"):
        async_url("mysql://u:p@h/db")
