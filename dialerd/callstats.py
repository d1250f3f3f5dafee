"""Observations for the metrics the runners' own counts do not hold: latencies and usage.

Pure values, no clock and no I/O: the runner passes the monotonic times it already has
when a call changes state, and the metrics collector reads the result at scrape time
(dialerd.http serves it from the same event loop). Every observation replaces a frozen
`Histogram`, so a value handed to a scrape is never changed under it.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

from dialerd.calltrack import CallState

# Ring times run from about a second to the ring timeout (tens of seconds).
ANSWER_BUCKETS_S = (1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
# An answered customer should meet an agent within the abandon grace (about 2 s).
AGENT_BUCKETS_S = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
# Database round trips: milliseconds when healthy, seconds when PostgreSQL struggles.
WRITE_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# How late the event loop wakes up: near 0 when idle, worrying past 100 ms.
LAG_BUCKETS_S = (0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

ANSWERED = frozenset({CallState.ANSWERED, CallState.CONNECTED})


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts per bucket (upper bounds, the last one +Inf implied) and the sum of values."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...] = ()  # len(bounds) + 1 once anything is observed
    total: float = 0.0

    def observe(self, value: float) -> Histogram:
        counts = list(self.counts) or [0] * (len(self.bounds) + 1)
        counts[bisect.bisect_left(self.bounds, value)] += 1
        return Histogram(self.bounds, tuple(counts), self.total + value)

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, int]]:
        """(le, observations <= le) pairs as Prometheus exposes them, ending with +Inf."""
        counts = self.counts or (0,) * (len(self.bounds) + 1)
        running, pairs = 0, []
        for bound, count in zip((*self.bounds, float("inf")), counts, strict=True):
            running += count
            pairs.append((_le(bound), running))
        return pairs


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


@dataclass
class CallStats:
    """One campaign's latencies and caller-ID usage since the daemon started."""

    to_answer: Histogram = field(default_factory=lambda: Histogram(ANSWER_BUCKETS_S))
    to_agent: Histogram = field(default_factory=lambda: Histogram(AGENT_BUCKETS_S))
    presented: Counter[str] = field(default_factory=Counter)  # Originates per caller ID

    def dialled(self, caller_id: str | None) -> None:
        if caller_id:
            self.presented[caller_id] += 1

    def changed(
        self, before: CallState, after: CallState, started: float, entered: float, now: float
    ) -> None:
        """A call went from `before` (entered at `entered`) to `after` at `now`; `started`
        is its Originate's time, 0.0 for a call adopted from an earlier run."""
        if before is CallState.ORIGINATING and after in ANSWERED and started:
            self.to_answer = self.to_answer.observe(now - started)
        if before is CallState.ANSWERED and after is CallState.CONNECTED:
            self.to_agent = self.to_agent.observe(now - entered)
