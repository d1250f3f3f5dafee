"""The writer of ``call_connected`` events: the dial loop hands them over, a task writes them.

The runner learns that an agent answered inside an AMI event handler, which must not wait for
PostgreSQL; it calls :meth:`ConnectedWriter.put` and goes on. The writer's task writes what is
pending in batches and keeps a batch it could not write, trying again with backoff (1 s, doubling
to 30 s), so a database blip delays an event and loses none. Only when more than
:data:`MAX_PENDING` wait (PostgreSQL gone for long) are the oldest dropped, each logged: a screen
pop that late is of no use to the agent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Protocol

import structlog

from dialerd.errors import DialerdError
from dialerd.screen_pop import Connected

log = structlog.get_logger("dialerd.connected_events")

MAX_PENDING = 10_000
BATCH = 200
FIRST_PAUSE_S = 1.0
MAX_PAUSE_S = 30.0


class ConnectedStore(Protocol):
    async def write(self, events: Sequence[Connected]) -> None: ...


class ConnectedWriter:
    def __init__(self, store: ConnectedStore) -> None:
        self._store = store
        self._pending: deque[Connected] = deque()
        self._wake = asyncio.Event()
        self.written = 0
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def put(self, event: Connected) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._drop_oldest()
        self._pending.append(event)
        self._wake.set()

    async def run(self) -> None:
        """Write until cancelled."""
        pause_s = FIRST_PAUSE_S
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            if await self.write_pending():
                pause_s = FIRST_PAUSE_S
                continue
            await asyncio.sleep(pause_s)
            pause_s = min(pause_s * 2, MAX_PAUSE_S)

    async def write_pending(self) -> bool:
        """Write one batch; False (the batch put back in front) when the database refused it."""
        batch = [self._pending.popleft() for _ in range(min(BATCH, len(self._pending)))]
        try:
            await self._store.write(batch)
        except DialerdError as exc:
            log.warning("call_connected_not_written", events=len(batch), error=str(exc))
            self._pending.extendleft(reversed(batch))
            while len(self._pending) > MAX_PENDING:
                self._drop_oldest()
            return False
        self.written += len(batch)
        return True

    def _drop_oldest(self) -> None:
        lost = self._pending.popleft()
        self.dropped += 1
        log.error("call_connected_dropped", attempt=str(lost.attempt_id), pending=MAX_PENDING)


__all__ = ["MAX_PENDING", "ConnectedStore", "ConnectedWriter"]
