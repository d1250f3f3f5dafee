"""Is a pool number being labelled as spam? Compare it with its peers, hour by hour.

Carriers label a number from its volume (the caps bound it), short calls, low answer rates
and complaints. Two of those are measured here from the daemon's call outcomes:

* answer rate: is the number answered significantly less often than its peers?
* short calls: of its answered calls, are significantly more cut short than its peers'?

Answer rates swing by hour of day and list, so a number is compared with the other active
numbers of the pool *in the same clock hours* (each UTC hour of the rolling window is one
stratum) by the Cochran-Mantel-Haenszel test: in every hour the number's answers are set
against what the pooled rate of that hour predicts for its number of calls, and the
differences and variances (hypergeometric) are summed over hours; z = (O - E) / sd, with
O - E shrunk by 0.5 toward zero (continuity), tested one-sided. A number is flagged only when

* it made at least `min_attempts` calls in the window (and `min_answered` answers, for the
  short-call test),
* z passes the family-wise `significance` split over every test run in this check
  (Bonferroni), so a healthy pool of 20 numbers is not 20 times as likely to flag one, and
* the difference is material: at least `min_effect` (relative) below / above expectation.

A flagged number is quarantined (paused for remediation and reported), never silently
swapped. Outcomes from before a number's last restore are ignored, so a restored number
starts a fresh record. All functions are pure.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

from caller_id_pool.model import NumberState, PoolNumber, StateChange, utc


@dataclass(frozen=True, slots=True)
class HourOutcomes:
    """One number's calls in one UTC clock hour, as PostgreSQL's call attempts record them."""

    number: str
    hour: datetime  # start of the hour
    attempts: int
    answered: int
    short_calls: int = 0  # answered calls shorter than the campaign's short-call limit


@dataclass(frozen=True, slots=True)
class HealthSettings:
    window_h: int = 72
    min_attempts: int = 200
    min_answered: int = 50
    significance: float = 0.001  # chance per check of flagging any number of a healthy pool
    min_effect: float = 0.2  # flag only 20 % (relative) or more worse than expected

    def __post_init__(self) -> None:
        if not 0 < self.significance < 0.5 or not 0 <= self.min_effect < 1:
            raise ValueError(f"significance must be in (0, 0.5), min_effect in [0, 1): {self}")
        if self.window_h < 1 or self.min_attempts < 1 or self.min_answered < 1:
            raise ValueError(f"window_h, min_attempts and min_answered must be positive: {self}")


@dataclass(frozen=True, slots=True)
class Comparison:
    """A number's observed count against the count its peers' hourly rates predict."""

    observed: int
    expected: float
    trials: int
    z: float


@dataclass(frozen=True, slots=True)
class Verdict:
    number: str
    answers: Comparison | None  # None: too few calls to judge
    short_calls: Comparison | None
    flagged: bool
    reason: str


Cell = tuple[int, int, int]  # attempts, answered, short calls


def check_health(
    outcomes: Iterable[HourOutcomes],
    pool: Sequence[PoolNumber],
    settings: HealthSettings,
    now: datetime,
    restored_at: Mapping[str, datetime] | None = None,
) -> tuple[Verdict, ...]:
    """A verdict for every active number of `pool`, from outcomes in the rolling window."""
    active = [n.number for n in pool if n.state is NumberState.ACTIVE]
    table = _hour_table(outcomes, active, settings, utc(now), restored_at or {})
    totals = _hour_totals(table)
    answers = {n: _compare(table[n], totals, hits=1, trials=0) for n in active}
    shorts = {n: _compare(table[n], totals, hits=2, trials=1) for n in active}
    judged_answers = {n: c for n, c in answers.items() if c.trials >= settings.min_attempts}
    judged_shorts = {n: c for n, c in shorts.items() if c.trials >= settings.min_answered}
    tests = len(judged_answers) + len(judged_shorts)
    z_limit = -NormalDist().inv_cdf(settings.significance / max(tests, 1))
    return tuple(
        _verdict(
            n,
            answers=judged_answers.get(n),
            shorts=judged_shorts.get(n),
            seen=answers[n],
            settings=settings,
            z_limit=z_limit,
        )
        for n in active
    )


def quarantines(
    verdicts: Iterable[Verdict], pool: Sequence[PoolNumber], now: datetime
) -> tuple[StateChange, ...]:
    """The audit events that pause every flagged number still active."""
    active = {n.number for n in pool if n.state is NumberState.ACTIVE}
    return tuple(
        StateChange(v.number, NumberState.ACTIVE, NumberState.QUARANTINED, v.reason, now, "health")
        for v in verdicts
        if v.flagged and v.number in active
    )


def stratified_z(strata: Iterable[tuple[int, int, int, int]]) -> Comparison:
    """Cochran-Mantel-Haenszel over (hits, trials, peer hits, peer trials) per stratum."""
    observed, trials, expected, variance = 0, 0, 0.0, 0.0
    for hits, n, peer_hits, peer_n in strata:
        total, all_hits = n + peer_n, hits + peer_hits
        if n == 0 or peer_n == 0:
            continue  # an hour without peers (or without this number) says nothing
        observed, trials = observed + hits, trials + n
        expected += n * all_hits / total
        if total > 1:
            variance += n * peer_n * all_hits * (total - all_hits) / (total * total * (total - 1))
    if variance <= 0:
        return Comparison(observed, expected, trials, 0.0)
    gap = observed - expected
    corrected = math.copysign(max(abs(gap) - 0.5, 0.0), gap)  # continuity correction
    return Comparison(observed, expected, trials, corrected / math.sqrt(variance))


def _hour_table(
    outcomes: Iterable[HourOutcomes],
    active: Sequence[str],
    settings: HealthSettings,
    now: datetime,
    restored_at: Mapping[str, datetime],
) -> dict[str, dict[datetime, Cell]]:
    start = now - timedelta(hours=settings.window_h)
    table: dict[str, dict[datetime, Cell]] = {n: defaultdict(lambda: (0, 0, 0)) for n in active}
    for row in outcomes:
        hour = utc(row.hour)
        restored = restored_at.get(row.number)
        if row.number not in table or not start <= hour < now:
            continue
        if restored is not None and hour < utc(restored):
            continue
        a, b, c = table[row.number][hour]
        table[row.number][hour] = (a + row.attempts, b + row.answered, c + row.short_calls)
    return table


def _hour_totals(table: Mapping[str, Mapping[datetime, Cell]]) -> dict[datetime, Cell]:
    totals: dict[datetime, Cell] = defaultdict(lambda: (0, 0, 0))
    for hours in table.values():
        for hour, (a, b, c) in hours.items():
            ta, tb, tc = totals[hour]
            totals[hour] = (ta + a, tb + b, tc + c)
    return totals


def _compare(
    mine: Mapping[datetime, Cell], totals: Mapping[datetime, Cell], *, hits: int, trials: int
) -> Comparison:
    strata = (
        (cell[hits], cell[trials], totals[h][hits] - cell[hits], totals[h][trials] - cell[trials])
        for h, cell in mine.items()
    )
    return stratified_z(strata)


def _verdict(
    number: str,
    *,
    answers: Comparison | None,
    shorts: Comparison | None,
    seen: Comparison,
    settings: HealthSettings,
    z_limit: float,
) -> Verdict:
    window = f"{settings.window_h} h"
    if answers is None:
        why = f"too few calls to judge ({seen.trials} of {settings.min_attempts} in {window})"
        return Verdict(number, None, None, False, why)
    low = _worse(answers, -z_limit, 1 - settings.min_effect)
    short = shorts is not None and _worse(shorts, z_limit, 1 + settings.min_effect)
    parts = [_describe("answer rate", answers, "calls")]
    if shorts is not None:
        parts.append(_describe("short-call rate", shorts, "answers"))
    if low or short:
        worse = "answer rate" if low else "short-call rate"
        why = f"{worse} significantly worse than its peers in the same hours: " + "; ".join(parts)
        return Verdict(number, answers, shorts, True, why)
    return Verdict(number, answers, shorts, False, "healthy: " + "; ".join(parts))


def _worse(comparison: Comparison, z_limit: float, ratio: float) -> bool:
    """Beyond `z_limit` (signed: negative means "fewer") and by at least `ratio` of expected."""
    if z_limit < 0:
        return comparison.z <= z_limit and comparison.observed <= ratio * comparison.expected
    return comparison.z >= z_limit and comparison.observed >= ratio * comparison.expected


def _describe(what: str, comparison: Comparison, unit: str) -> str:
    rate = comparison.observed / comparison.trials
    expected = comparison.expected / comparison.trials
    return (
        f"{what} {rate:.1%} vs {expected:.1%} expected "
        f"(z = {comparison.z:.1f}, {comparison.trials} {unit})"
    )
