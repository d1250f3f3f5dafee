"""The outlook a new dial faces: free agents and competing calls at each pickup point.

A dial placed now that is answered at pickup point `t_k` (seconds from now) finds an
agent if, by `t_k + grace`, more agents are free than calls answered before it. Both
sides are a sure count plus independent chances:

- free agents: the ready ones and wrap-ups that end in time (both sure), and each
  talking agent's chance its call is over in time given how long it has lasted;
- calls ahead: answered calls already waiting (sure), and each ringing dial's chance to
  be answered before `t_k` given how long it has rung.

With few uncertain agents and dials the margin (free - ahead) is counted exactly; with
many, only its mean and variance are kept and `pacing.risk` treats it as normal.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from pacing.arrivals import arrival_chances
from pacing.handle import HandleTimeModel
from pacing.inputs import PacingInputs
from pacing.ring import RingFit

Rows = tuple[tuple[float, ...], ...]
EXACT_LIMIT = 24  # uncertain agents + dials up to which the margin is counted exactly
NEGLIGIBLE = 1e-3
TABLE_REFRESH_S = 300.0  # rebuild an agent table at most this often (it costs ~10 ms)...
TABLE_GROWTH = 1.25  # ...unless its talk-time model has learnt from this many times the
TABLE_NEW_CALLS = 16  # calls (and at least this many more) since the table was built


@dataclass(frozen=True, slots=True)
class AgentTable:
    """Per whole second of talk so far: P(free by each deadline), then variances."""

    deadlines_s: tuple[float, ...]  # pickup point + grace, seconds from now
    wrapup_s: float
    handle_version: int
    rows: Rows

    def fits(self, deadlines_s: tuple[float, ...], wrapup_s: float, version: int) -> bool:
        close = all(abs(a - b) < 0.75 for a, b in zip(self.deadlines_s, deadlines_s, strict=True))
        return close and wrapup_s == self.wrapup_s and version == self.handle_version


def agent_table(
    handle: HandleTimeModel, deadlines_s: tuple[float, ...], wrapup_s: float
) -> AgentTable:
    allowances = tuple(d - wrapup_s for d in deadlines_s)
    return AgentTable(deadlines_s, wrapup_s, handle.version, handle.free_rows(allowances))


@dataclass(frozen=True, slots=True)
class Tabled:
    """A talk-time model with the agent table built from it, and when that was."""

    handle: HandleTimeModel
    table: AgentTable | None = None
    built_at: float = -math.inf
    built_calls: float = 0.0  # calls the model had seen when the table was built

    def refreshed(self, ends: tuple[float, ...], wrapup_s: float, now: float) -> Tabled:
        """Fit for the current model: refreshed at most every TABLE_REFRESH_S, but at once
        while the model is young and each batch of calls changes it a lot."""
        table, handle = self.table, self.handle
        if table is not None and table.fits(ends, wrapup_s, handle.version):
            return self
        learnt = handle.observed_calls
        grown = learnt >= TABLE_GROWTH * self.built_calls + TABLE_NEW_CALLS
        if table is not None and now - self.built_at < TABLE_REFRESH_S and not grown:
            return self
        return Tabled(handle, agent_table(handle, ends, wrapup_s), now, learnt)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of the balance, per pickup point: a sure count and independent chances."""

    sure: tuple[int, ...]
    chances: tuple[tuple[float, ...], ...]
    var: tuple[float, ...]

    @property
    def mean(self) -> tuple[float, ...]:
        return tuple(s + sum(c) for s, c in zip(self.sure, self.chances, strict=True))


@dataclass(frozen=True, slots=True)
class Outlook:
    free_mean: tuple[float, ...]
    free_var: tuple[float, ...]
    ahead_mean: tuple[float, ...]
    ahead_var: tuple[float, ...]
    fresh: tuple[float, ...]  # chance another new dial is answered before each pickup point
    margin_cdf: tuple[tuple[float, ...], ...] | None = None  # P(free - ahead <= x), x = 0, 1..

    @property
    def free_soon(self) -> float:
        return sum(self.free_mean) / len(self.free_mean)

    @property
    def answering_soon(self) -> float:
        return sum(self.ahead_mean) / len(self.ahead_mean)


def deadlines(ring: RingFit, grace_s: float) -> tuple[float, ...]:
    return tuple(t + grace_s for t in ring.pickup_s)


def outlook(inputs: PacingInputs, free: Side, ring: RingFit, inbound_per_s: float = 0.0) -> Outlook:
    """`inbound_per_s`: how often inbound callers take the campaign's agents
    (`pacing.blended.ArrivalRate`); they and the callers waiting are calls ahead."""
    ahead = calls_ahead(inputs, ring, inbound_per_s)
    k = len(ring.pickup_s)
    fresh = tuple(ring.answer_share * (i + 0.5) / k for i in range(k))
    return Outlook(free.mean, free.var, ahead.mean, ahead.var, fresh, exact_margins(free, ahead))


def agents_free(
    inputs: PacingInputs, table: AgentTable, inbound: Sequence[tuple[float, ...]] = ()
) -> Side:
    """Forecast from the talk-time model: elapsed talk in, chance of being free out.
    `inbound` holds the rows of the agents on inbound calls (`pacing.blended`)."""
    k = len(table.deadlines_s)
    cols = columns([*lookup(table.rows, inputs.talking_s), *inbound], 2 * k)
    wrap_left = sorted([inputs.settings.wrapup_s - e for e in inputs.wrapping_s])
    sure = tuple(inputs.ready_agents + bisect_right(wrap_left, d) for d in table.deadlines_s)
    return Side(sure, tuple(cols[:k]), tuple(sum(c) for c in cols[k:]))


def known_free(inputs: PacingInputs, free_in_s: tuple[float, ...], ends: tuple[float, ...]) -> Side:
    """Free agents when every busy agent's finish time is known (the simulator's oracle)."""
    left = sorted(free_in_s)
    sure = tuple(inputs.ready_agents + bisect_right(left, d) for d in ends)
    return Side(sure, ((),) * len(ends), (0.0,) * len(ends))


def calls_ahead(inputs: PacingInputs, ring: RingFit, inbound_per_s: float = 0.0) -> Side:
    k = len(ring.pickup_s)
    cols = columns(lookup(ring.ahead_rows, inputs.ringing_s), 2 * k)
    sure = (inputs.waiting_calls + inputs.inbound_waiting,) * k
    ends = tuple(t + inputs.grace_left_s for t in ring.pickup_s)
    arrivals = arrival_chances(inbound_per_s, ends)
    chances = tuple((*c, *a) for c, a in zip(cols[:k], arrivals, strict=True))
    var = tuple(
        sum(c) + sum(q * (1.0 - q) for q in a) for c, a in zip(cols[k:], arrivals, strict=True)
    )
    return Side(sure, chances, var)


def exact_margins(free: Side, ahead: Side) -> tuple[tuple[float, ...], ...] | None:
    if len(free.chances[0]) + len(ahead.chances[0]) > 2 * EXACT_LIMIT:
        return None  # cheap early exit before filtering
    margins = []
    for sure_free, ups, sure_ahead, downs in zip(
        free.sure, free.chances, ahead.sure, ahead.chances, strict=True
    ):
        cdf = margin_cdf(sure_free - sure_ahead, ups, downs)
        if cdf is None:
            return None
        margins.append(cdf)
    return tuple(margins)


def margin_cdf(
    sure: int, ups: tuple[float, ...], downs: tuple[float, ...]
) -> tuple[float, ...] | None:
    """P(sure + sum(Bernoulli(ups)) - sum(Bernoulli(downs)) <= x) for x = 0, 1, ..., up to
    the largest possible value; None when too many chances are uncertain to count."""
    high = 1.0 - NEGLIGIBLE
    up = [q for q in ups if NEGLIGIBLE < q < high]
    down = [a for a in downs if NEGLIGIBLE < a < high]
    if len(up) + len(down) > EXACT_LIMIT:
        return None
    low = sure + len([q for q in ups if q >= high]) - len([a for a in downs if a >= high])
    low -= len(down)
    dist = [1.0]
    for q in up:
        dist = [u * (1.0 - q) + v * q for u, v in zip([*dist, 0.0], [0.0, *dist], strict=True)]
    for a in down:  # index 0 stays the lowest value: the origin moves down instead
        dist = [u * a + v * (1.0 - a) for u, v in zip([*dist, 0.0], [0.0, *dist], strict=True)]
    cumulative = list(accumulate(dist))  # P(margin <= low + i)
    if low >= 0:
        return (0.0,) * low + tuple(cumulative)
    return tuple(cumulative[-low:]) or (1.0,)


def columns(rows: list[tuple[float, ...]], width: int) -> list[tuple[float, ...]]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def lookup(rows: Rows, elapsed_s: tuple[float, ...]) -> list[tuple[float, ...]]:
    """The row for each elapsed time, to the nearest second; past the table, its last row."""
    try:
        return [rows[int(e + 0.5)] for e in elapsed_s]
    except IndexError:
        last = len(rows) - 1
        return [rows[min(int(e + 0.5), last)] for e in elapsed_s]
