"""One subscriber's view of the events arriving on an AMI connection.

Each subscription has its own bounded buffer, so a slow consumer cannot stall the reader or the
other subscribers. When a buffer fills, nothing is dropped quietly: the subscription is marked
overflowed and its iterator raises, because a consumer that missed events has to resynchronise
anyway. The buffer is a ``deque`` plus one waiter future instead of an ``asyncio.Queue``: the
reader hands over every event of a busy PBX, and this keeps each hand-over to one ``extend``
per socket read.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from ami.errors import AmiError
from ami.message import ConnectionStateChanged, Event

__all__ = ["EventStream", "Fanout", "StreamItem"]

StreamItem = Event | ConnectionStateChanged


class EventStream:
    """Async iterator over unsolicited events and ``ConnectionStateChanged`` notices.

    Use ``async with client.events() as stream: async for item in stream: ...``. Iteration ends
    after the client closes (or gives up for good) and everything delivered before was read.
    """

    __slots__ = ("_ended", "_items", "_maxsize", "_on_close", "_overflowed", "_waiter")

    def __init__(self, maxsize: int, on_close: Callable[[EventStream], None]) -> None:
        self._items: deque[StreamItem] = deque()
        self._maxsize = maxsize
        self._on_close = on_close
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._overflowed = False

    @property
    def overflowed(self) -> bool:
        """True once the consumer fell ``maxsize`` items behind; the stream is then dead."""
        return self._overflowed

    def close(self) -> None:
        """Unsubscribe; items not read yet are discarded and iteration ends."""
        self._items.clear()
        self._finish()

    def _deliver(self, items: Sequence[StreamItem]) -> None:
        """Called by the client once per socket read with that read's items: one call per
        batch, not per event, keeps the fan-out cheap on a busy PBX."""
        buffered = self._items
        if len(buffered) + len(items) > self._maxsize:
            self._overflowed = True
            buffered.clear()
            self._finish()
            return
        buffered.extend(items)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _end(self) -> None:
        """The client will deliver nothing more; the consumer still reads what is buffered."""
        self._finish()

    def _finish(self) -> None:
        if not self._ended:
            self._ended = True
            self._on_close(self)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamItem:
        if self._items:
            return self._items.popleft()
        return await self._next_after_wait()

    async def _next_after_wait(self) -> StreamItem:
        while not self._items:
            if self._overflowed:
                raise AmiError(
                    f"event stream overflowed ({self._maxsize} items unread); resynchronise"
                )
            if self._ended:
                raise StopAsyncIteration
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.popleft()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Fanout:
    """The set of live subscriptions of one client; copy-on-write so delivery never locks."""

    __slots__ = ("_ended", "_maxsize", "_streams")

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._streams: tuple[EventStream, ...] = ()
        self._ended = False

    def subscribe(self) -> EventStream:
        """A new stream; one that has already ended if the client is finished."""
        stream = EventStream(self._maxsize, self._unsubscribe)
        if self._ended:
            stream._end()
        else:
            self._streams = (*self._streams, stream)
        return stream

    def deliver(self, items: Sequence[StreamItem]) -> None:
        for stream in self._streams:
            stream._deliver(items)

    def end(self) -> None:
        """No more items, ever: streams end once their buffers are read."""
        self._ended = True
        for stream in self._streams:
            stream._end()

    def _unsubscribe(self, stream: EventStream) -> None:
        self._streams = tuple(other for other in self._streams if other is not stream)
