"""Background measurements for the metrics: lead counts from PostgreSQL, event-loop lag.

Both run as tasks on the daemon's event loop and leave a value the metrics collector
reads at scrape time, so a scrape never waits for the database: the lead counts are at
most `LeadCounter.interval_s` old.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from dialerd.callstats import LAG_BUCKETS_S, Histogram
from dialerd.errors import DialerdError

log = structlog.get_logger("dialerd.probes")
STALL_LOG_S = 5.0  # a wake-up this late is logged: Originates and events waited as long


@dataclass(frozen=True, slots=True)
class LeadCounts:
    """One campaign's leads by where they stand."""

    due: int = 0  # a phone may be dialled now
    scheduled: int = 0  # a phone waits for a later time (a retry, a calling window)
    exhausted: int = 0  # every phone is exhausted (or blocked): the rules allow no more


class LeadCountSource(Protocol):
    async def lead_counts(
        self, campaign_ids: Collection[int], now: datetime
    ) -> dict[int, LeadCounts]: ...


class LeadCounter:
    """Counts the running campaigns' leads every `interval_s`; keeps the last counts when
    the database does not answer."""

    def __init__(
        self, source: LeadCountSource, now: Callable[[], datetime], interval_s: float = 15.0
    ) -> None:
        self._source = source
        self._now = now
        self.interval_s = interval_s
        self.counts: Mapping[int, LeadCounts] = {}  # by campaign id; replaced, never changed

    async def run(self, campaign_ids: Callable[[], Collection[int]]) -> None:
        while True:
            await self.refresh(campaign_ids())
            await asyncio.sleep(self.interval_s)

    async def refresh(self, campaign_ids: Collection[int]) -> None:
        if not campaign_ids:
            return
        try:
            self.counts = await self._source.lead_counts(campaign_ids, self._now())
        except DialerdError as exc:
            log.warning("lead_counts_unavailable", error=str(exc))


class LoopLag:
    """How late the event loop wakes from a short sleep: time a dial round or an event
    handler holds the loop, which delays every other campaign's events. The histogram is
    for the metrics; `last_s`, the latest lateness, for /healthz."""

    def __init__(self, monotonic: Callable[[], float], interval_s: float = 0.25) -> None:
        self._monotonic = monotonic
        self._interval_s = interval_s
        self.histogram = Histogram(LAG_BUCKETS_S)
        self.last_s = 0.0

    async def run(self) -> None:
        while True:
            before = self._monotonic()
            await asyncio.sleep(self._interval_s)
            self.last_s = max(0.0, self._monotonic() - before - self._interval_s)
            self.histogram = self.histogram.observe(self.last_s)
            if self.last_s > STALL_LOG_S:
                log.warning("event_loop_stalled", lag_s=round(self.last_s, 2))
