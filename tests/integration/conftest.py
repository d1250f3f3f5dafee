"""Integration tests run against the real lab; see tests/integration/lab.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from dialerd.storage import PgStore, migrate
from dialerd.storage.testing import create_database, drop_database
from tests.integration.lab import Lab


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in item.nodeid:
            item.add_marker(pytest.mark.lab)


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab.from_status()


@pytest.fixture(scope="module")
def db_url(lab: Lab) -> Iterator[str]:
    """One migrated database per test module; tests keep apart by using their own campaign."""
    url = asyncio.run(create_database(lab.database_url))
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[PgStore]:
    pg = PgStore(db_url)
    yield pg
    await pg.close()
