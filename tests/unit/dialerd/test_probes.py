"""The background probes and the outcome writer's figures, with hand-written fakes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime

import pytest

from dialerd.config import ChannelSwitchSettings
from dialerd.domain import AttemptResult, NextDial, Outcome
from dialerd.outcomes import OutcomeWriter
from dialerd.probes import LeadCounter, LeadCounts, LoopLag
from dialerd.storage import StorageUnavailable

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Counts:
    """Answers with `counts`, or fails while `down`."""

    def __init__(self) -> None:
        self.counts: dict[int, LeadCounts] = {}
        self.down = False
        self.asked: list[tuple[list[int], datetime]] = []

    async def lead_counts(
        self, campaign_ids: Collection[int], now: datetime
    ) -> dict[int, LeadCounts]:
        self.asked.append((sorted(campaign_ids), now))
        if self.down:
            raise StorageUnavailable("counting leads: connection refused")
        return dict(self.counts)


async def test_lead_counts_keep_their_last_value_while_the_database_is_down() -> None:
    source = Counts()
    counter = LeadCounter(source, lambda: T0)
    source.counts = {7: LeadCounts(due=3, scheduled=2, exhausted=1)}
    await counter.refresh([7])
    source.down = True
    await counter.refresh([7])
    assert counter.counts == {7: LeadCounts(3, 2, 1)}
    assert source.asked == [([7], T0), ([7], T0)]


async def test_no_campaign_means_no_query() -> None:
    source = Counts()
    await LeadCounter(source, lambda: T0).refresh([])
    assert source.asked == []


class Enough(Exception):
    pass


def ticking(*times: float) -> Callable[[], float]:
    """A monotonic clock that reads `times` in turn, then stops the probe."""
    left = list(times)

    def read() -> float:
        if not left:
            raise Enough
        return left.pop(0)

    return read


async def test_loop_lag_measures_how_late_the_sleep_ended() -> None:
    lag = LoopLag(ticking(10.0, 10.4, 20.0, 20.0105), interval_s=0.01)  # 0.39 s, 0.5 ms late
    with pytest.raises(Enough):
        await lag.run()
    buckets = dict(lag.histogram.cumulative())
    assert lag.histogram.total == pytest.approx(0.3905)
    assert (buckets["0.001"], buckets["0.25"], buckets["0.5"], buckets["+Inf"]) == (1, 1, 2, 2)


class FlakyStore:
    """record_results fails `failures` times, then takes `write_s` on the fake clock."""

    def __init__(self, clock: list[float], failures: int, write_s: float) -> None:
        self._clock = clock
        self._failures = failures
        self._write_s = write_s
        self.batches: list[int] = []
        self.rules_seen: list[object] = []

    async def record_results(
        self,
        items: Sequence[tuple[AttemptResult, Sequence[NextDial]]],
        switch_rules: object = None,
    ) -> None:
        self.rules_seen.append(switch_rules)
        if self._failures:
            self._failures -= 1
            raise StorageUnavailable("writing outcomes: connection refused")
        self._clock[0] += self._write_s
        self.batches.append(len(items))


async def test_the_writer_counts_failures_and_times_each_batch_written() -> None:
    clock = [100.0]
    store = FlakyStore(clock, failures=2, write_s=0.03)
    writer = OutcomeWriter(
        store,  # type: ignore[arg-type]  # only record_results is used
        batch_size=2,
        interval_s=0.01,
        monotonic=lambda: clock[0],
    )
    task = asyncio.create_task(writer.run())
    for n in range(3):
        writer.put(result(n), [])
    assert await writer.drain(timeout_s=10)
    task.cancel()
    assert (writer.written, writer.failures, store.batches) == (3, 2, [2, 1])
    assert writer.write_latency.count == 2
    assert writer.write_latency.total == pytest.approx(0.06)
    assert writer.pending == 0


async def test_the_writer_hands_the_channel_switch_rules_of_the_moment_to_each_write() -> None:
    rules: dict[int, ChannelSwitchSettings] = {}
    store = FlakyStore([0.0], failures=0, write_s=0.0)
    writer = OutcomeWriter(
        store,  # type: ignore[arg-type]  # only record_results is used
        interval_s=0.01,
        switch_rules=lambda: dict(rules),
    )
    task = asyncio.create_task(writer.run())
    writer.put(result(0), [])
    assert await writer.drain(timeout_s=10)
    rules[7] = ChannelSwitchSettings(after_ineffective=3, within_days=60)  # a reload
    writer.put(result(1), [])
    assert await writer.drain(timeout_s=10)
    task.cancel()
    assert store.rules_seen == [{}, {7: rules[7]}]


async def test_the_writer_stops_when_cancelled_in_the_instant_it_is_woken() -> None:
    """Python 3.11's asyncio.wait_for swallows a cancel that comes with the awaited wake-up;
    a writer built on it went back to sleep and the daemon's shutdown hung (CI, stop 14)."""
    writer = OutcomeWriter(
        FlakyStore([0.0], failures=0, write_s=0.0),  # type: ignore[arg-type]  # record_results
        batch_size=1,
        interval_s=60,
    )
    task = asyncio.create_task(writer.run())
    for _ in range(3):
        await asyncio.sleep(0)  # until the writer waits for its wake-up
    writer.put(result(0), [])  # wakes it...
    task.cancel()  # ...and the shutdown cancels it in the same instant
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done == {task}, "the writer went back to sleep: the cancel was swallowed"
    assert task.cancelled()


def result(n: int) -> AttemptResult:
    return AttemptResult(uuid.UUID(int=n + 1), Outcome.BUSY, ended_at=T0)
