"""Inbound callers competing with new dials for the campaign's agents.

A caller already waiting in one of the queues the campaign's agents serve, or one who
arrives before a new dial is answered, takes the next free agent first: a queue's own
callers by having joined earlier, another queue by its weight (centres give their inbound
lines priority). So the callers waiting (`PacingInputs.inbound_waiting`) are calls ahead of
every new dial, and so are those expected to arrive by each deadline, at the rate inbound
calls have lately reached the campaign's agents (`ArrivalRate`, learnt from
`InboundConnected`), counted as a Poisson number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RATE_WINDOW_S = 900.0  # inbound connects counted over the last quarter of an hour...
MIN_SPAN_S = 60.0  # ...or since the first seen, but never over less than a minute
MAX_ARRIVALS = 2000  # connect times kept
PIECE = 0.25  # expected arrivals are counted as Bernoulli chances of at most this


@dataclass(frozen=True, slots=True)
class InboundConnected:
    """An inbound caller reached one of the campaign's agents, at ``at_s`` (monotonic)."""

    at_s: float


@dataclass(frozen=True, slots=True)
class ArrivalRate:
    """How often inbound calls have lately taken the campaign's agents."""

    times: tuple[float, ...] = ()
    first_s: float | None = None

    def observed(self, at_s: float) -> ArrivalRate:
        recent = tuple(t for t in self.times if at_s - t <= RATE_WINDOW_S)[-MAX_ARRIVALS + 1 :]
        first = at_s if self.first_s is None else self.first_s
        return ArrivalRate((*recent, at_s), first)

    def per_s(self, now: float) -> float:
        if self.first_s is None:
            return 0.0
        count = sum(1 for t in self.times if now - t <= RATE_WINDOW_S)
        span = min(RATE_WINDOW_S, max(MIN_SPAN_S, now - self.first_s))
        return count / span


def arrival_chances(rate_per_s: float, deadlines_s: tuple[float, ...]) -> list[tuple[float, ...]]:
    """Per deadline, the expected inbound arrivals by then (Poisson) as equal Bernoulli
    chances of at most PIECE each, so the exact margin and the normal one can count them."""
    if rate_per_s <= 0 or not deadlines_s:
        return [() for _ in deadlines_s]
    pieces = max(1, math.ceil(rate_per_s * max(deadlines_s) / PIECE))
    return [(rate_per_s * d / pieces,) * pieces for d in deadlines_s]
