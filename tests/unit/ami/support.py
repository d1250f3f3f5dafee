"""Helpers shared by the ami tests: fast settings and bounded waits on event streams."""

from __future__ import annotations

import asyncio
from typing import Any

from ami import ConnectionStateChanged, Event, EventStream
from ami.stream import StreamItem
from ami.testing import FakeAmiServer

# Short timeouts keep the suite fast; pings are off unless a test turns them on, so the
# server's record of received actions holds only what the test sent.
FAST: dict[str, Any] = {
    "connect_timeout_s": 1.0,
    "action_timeout_s": 1.0,
    "ping_interval_s": 60.0,
    "ping_timeout_s": 1.0,
    "reconnect_min_s": 0.01,
    "reconnect_max_s": 0.05,
}


def fast_settings(server: FakeAmiServer, **overrides: Any) -> Any:
    return server.settings(**{**FAST, **overrides})


async def next_item(stream: EventStream, timeout_s: float = 2.0) -> StreamItem:
    async with asyncio.timeout(timeout_s):
        return await anext(stream)


async def next_state(stream: EventStream, timeout_s: float = 2.0) -> ConnectionStateChanged:
    """The next connection change, skipping events such as FullyBooted."""
    async with asyncio.timeout(timeout_s):
        async for item in stream:
            if isinstance(item, ConnectionStateChanged):
                return item
    raise AssertionError("stream ended before a connection change")


async def next_event(stream: EventStream, name: str, timeout_s: float = 2.0) -> Event:
    """The next event called ``name``, failing on anything but FullyBooted in between."""
    async with asyncio.timeout(timeout_s):
        async for item in stream:
            if isinstance(item, Event) and item.name == name:
                return item
            if not (isinstance(item, Event) and item.name == "FullyBooted"):
                raise AssertionError(f"expected {name}, got {item!r}")
    raise AssertionError(f"stream ended before {name}")
