"""Fixtures: a fake AMI server per test and clients that are always closed afterwards."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from ami import AmiClient
from ami.testing import FakeAmiServer
from tests.unit.ami.support import fast_settings

ClientFactory = Callable[..., Awaitable[AmiClient]]


@pytest.fixture
async def server() -> AsyncIterator[FakeAmiServer]:
    async with FakeAmiServer(username="dialer", secret="s3cret") as fake:
        yield fake


@pytest.fixture
async def make_client(server: FakeAmiServer) -> AsyncIterator[ClientFactory]:
    """Build (and by default start) clients with fast settings; all are closed at teardown."""
    clients: list[AmiClient] = []

    async def make(*, start: bool = True, **overrides: Any) -> AmiClient:
        client = AmiClient(fast_settings(server, **overrides), rng=random.Random(1))
        clients.append(client)
        if start:
            await client.start(wait_s=2.0)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: ClientFactory) -> AmiClient:
    return await make_client()


@pytest.fixture(autouse=True)
def _no_asyncio_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test that leaves 'exception was never retrieved' or similar loop errors behind."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    yield
    errors = [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
