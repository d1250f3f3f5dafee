"""Writes finished attempts to the store in batches, and never drops one.

`put` never blocks and never fails: results wait in memory until a batch is written.
A failed write keeps its batch at the head of the line and is retried with backoff, so
the order of writes is preserved and nothing is lost while the database is away (the
durable on-disk journal for crashes during an outage is a separate layer). The writer
counts what it wrote and what failed, and times each batch, for the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Sequence

import structlog

from dialerd.callstats import WRITE_BUCKETS_S, Histogram
from dialerd.domain import AttemptResult, NextDial
from dialerd.errors import DialerdError
from dialerd.ports import Store

Item = tuple[AttemptResult, Sequence[NextDial]]
log = structlog.get_logger("dialerd.outcomes")


class OutcomeWriter:
    def __init__(
        self,
        store: Store,
        *,
        batch_size: int = 500,
        interval_s: float = 0.2,
        max_backoff_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._batch_size = batch_size
        self._interval_s = interval_s
        self._max_backoff_s = max_backoff_s
        self._monotonic = monotonic
        self._items: deque[Item] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.written = 0  # results written
        self.failures = 0  # batch writes that failed (each is retried)
        self.write_latency = Histogram(WRITE_BUCKETS_S)  # seconds per batch written

    @property
    def pending(self) -> int:
        return len(self._items)

    def put(self, result: AttemptResult, next_dials: Sequence[NextDial]) -> None:
        self._items.append((result, next_dials))
        self._idle.clear()
        if len(self._items) >= self._batch_size:
            self._wake.set()

    async def run(self) -> None:
        """Write batches until cancelled; cancel only after `drain`."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)
            self._wake.clear()
            await self._write_all()

    async def drain(self, timeout_s: float) -> bool:
        """Wait until every pending result is written; False if time ran out."""
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def _write_all(self) -> None:
        backoff_s = self._interval_s
        while self._items:
            batch = [self._items[i] for i in range(min(self._batch_size, len(self._items)))]
            started = self._monotonic()
            try:
                await self._store.record_results(batch)
            except DialerdError as exc:
                self.failures += 1
                log.warning("outcome_write_failed", error=str(exc), pending=len(self._items))
                await asyncio.sleep(backoff_s * (0.5 + random.random()))  # noqa: S311 - jitter
                backoff_s = min(backoff_s * 2, self._max_backoff_s)
                continue
            self.write_latency = self.write_latency.observe(self._monotonic() - started)
            for _ in batch:
                self._items.popleft()
            self.written += len(batch)
        self._idle.set()
