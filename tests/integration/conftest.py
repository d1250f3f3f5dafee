"""Integration tests run against the real lab; see tests/integration/lab.py."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import pytest

from dialerd.storage import PgStore, migrate
from dialerd.storage.testing import create_database, drop_database
from tests.integration.daemon import RUNNING
from tests.integration.lab import Lab


def pytest_configure(config: pytest.Config) -> None:
    # How scripts/test runs the suite in less time: see the comments there and docs/scaling.md.
    config.addinivalue_line(
        "markers",
        "long_lab: a lab test of minutes; scripts/test runs these in a second pytest process,"
        " on the lab's second Asterisk, beside the rest",
    )
    config.addinivalue_line(
        "markers",
        "alone: takes PostgreSQL or Redis away, which every lab test shares; scripts/test"
        " runs these after the others, with nothing beside them",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in item.nodeid:
            item.add_marker(pytest.mark.lab)


@pytest.fixture(autouse=True, scope="module")
def no_daemon_left_running() -> Iterator[None]:
    """A daemon a test module did not stop (a failed wait before its stop) is killed at the
    module's end, and reported as an error there: left running, it would answer the AMI
    events of the tests after it. Per module, as a module's fixture may keep one running."""
    yield
    left = RUNNING.kill_leftovers()
    assert not left, f"the tests left dialerd running (pids {left}); killed"


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab.from_status()


@pytest.fixture(scope="session")
def peer_lab(lab: Lab) -> Lab:
    """Another Asterisk of the same lab (same PostgreSQL and Redis), for a second node:
    $DIALERD_LAB_PEER_ASTERISK, else the one after `lab`'s."""
    number = int(os.environ.get("DIALERD_LAB_PEER_ASTERISK") or lab.asterisk + 1)
    assert number != lab.asterisk, f"the peer Asterisk is the test's own ({number})"
    return Lab.from_status(asterisk=number)


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
