"""Writes finished attempts to the store in batches, and never drops one.

`put` never blocks and never fails: results wait in memory until a batch is written.
A failed write keeps its batch at the head of the line and is retried with backoff, so
the order of writes is preserved and nothing is lost while the database is away. With a
journal (dialerd/journal.py), each result is also on disk, fsync'd, before the database is
tried, so a crash during an outage loses nothing either; when the journal cannot be
written, `journal_error` says why and the campaigns stop dialing until it can. The
writer counts what it wrote and what failed, and times each batch, for the metrics.
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
from dialerd.channel_switch import SwitchRules
from dialerd.domain import AttemptResult, NextDial
from dialerd.errors import DialerdError
from dialerd.journal import Journal, JournalError
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
        journal: Journal | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        switch_rules: Callable[[], SwitchRules] = dict,
    ) -> None:
        self._store = store
        # read at each write: the campaigns running now (a reload may change them)
        self._switch_rules = switch_rules
        self._journal = journal
        self._fresh: deque[Item] = deque()  # put, not yet in the journal
        # why the last append failed; while set, some results never reached the journal
        self.journal_error: str | None = None
        self.failing = False  # the last database write failed
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
        return len(self._items) + len(self._fresh)

    def put(self, result: AttemptResult, next_dials: Sequence[NextDial]) -> None:
        self._fresh.append((result, next_dials))
        self._idle.clear()
        if self.pending >= self._batch_size:
            self._wake.set()

    def restore(self, items: Sequence[Item]) -> None:
        """Results an earlier run left in the journal: written first, not journaled again."""
        self._items.extendleft(reversed(items))
        if items:
            self._idle.clear()
            self._wake.set()

    async def run(self) -> None:
        """Write batches until cancelled; cancel only after `drain`."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._wake.wait()
            self._wake.clear()
            await self._write_all()

    async def drain(self, timeout_s: float) -> bool:
        """Wait until every pending result is written; False if time ran out."""
        self._wake.set()
        try:
            async with asyncio.timeout(timeout_s):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def _write_all(self) -> None:
        backoff_s = self._interval_s
        while self._items or self._fresh:
            await self._journal_fresh()
            batch = [self._items[i] for i in range(min(self._batch_size, len(self._items)))]
            started = self._monotonic()
            try:
                await self._store.record_results(batch, self._switch_rules())
            except DialerdError as exc:
                self.failures += 1
                self.failing = True
                log.warning("outcome_write_failed", error=str(exc), pending=self.pending)
                await asyncio.sleep(backoff_s * (0.5 + random.random()))  # noqa: S311 - jitter
                backoff_s = min(backoff_s * 2, self._max_backoff_s)
                continue
            self.failing = False
            self.write_latency = self.write_latency.observe(self._monotonic() - started)
            for _ in batch:
                self._items.popleft()
            self.written += len(batch)
        await self._clear_journal()
        if not self.pending:  # more may have come while the journal was being cleared
            self._idle.set()

    async def _journal_fresh(self) -> None:
        """Move what was put since the last round into the journal, then into the line.

        After a failed append the journal is rewritten whole (everything still pending) at
        the next success, so that it never misses a result the database has not got."""
        fresh = list(self._fresh)
        self._fresh.clear()
        self._items.extend(fresh)
        if self._journal is None or (not fresh and self.journal_error is None):
            return
        journal = self._journal
        try:
            if self.journal_error is not None:
                await asyncio.to_thread(_rewrite, journal, list(self._items))
            else:
                await asyncio.to_thread(journal.append, fresh)
        except JournalError as exc:
            if self.journal_error is None:
                log.error("outcome_journal_unwritable", error=str(exc), pending=self.pending)
            self.journal_error = str(exc)
            return
        if self.journal_error is not None:
            log.info("outcome_journal_writable", pending=self.pending)
        self.journal_error = None

    async def _clear_journal(self) -> None:
        if self._journal is None or self.journal_error is not None:
            return
        try:
            await asyncio.to_thread(self._journal.clear)
        except JournalError as exc:  # the next append finds out again; nothing is lost
            log.warning("outcome_journal_not_cleared", error=str(exc))


def _rewrite(journal: Journal, items: Sequence[Item]) -> None:
    journal.clear()
    journal.append(items)
