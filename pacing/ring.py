"""What becomes of a dial: answered or not, and after how many seconds of ringing.

Two histograms of ring seconds (1-second bins), one for answered dials and one for the
rest (busy, no answer, congestion, failure), blended with a small prior and faded like
the talk-time model. From them:

- `answer_share`: the chance a fresh dial is answered;
- `pickup_s`: K equally likely pickup times of an answered dial (the midpoints of K
  equal-probability slices), the moments at which pacing checks for a free agent;
- `ahead_rows`: for a dial that has rung `r` whole seconds without a result, the chance
  it is answered within each pickup time from now, i.e. conditioned on how long it has
  already rung: a dial near the end of its ring time is mostly lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

RING_BINS = 120  # whole seconds; longer rings land in the last bin
PICKUP_POINTS = 8
PRIOR_WEIGHT = 40.0
MAX_WEIGHT = 4000.0
REFIT_SHARE = 0.2
MIN_REFIT = 16

Rows = tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class RingFit:
    answer_share: float
    pickup_s: tuple[float, ...]
    ahead_rows: Rows  # per whole second rung: P(answered within pickup_s[k]), then variances


@dataclass(frozen=True, slots=True)
class RingModel:
    prior: tuple[tuple[float, ...], tuple[float, ...]]  # (answered, not answered) pseudo-counts
    answered: tuple[float, ...]
    failed: tuple[float, ...]
    weight: float
    pending: tuple[tuple[float, bool], ...]
    fit: RingFit
    version: int

    @classmethod
    def with_prior(cls) -> RingModel:
        prior = default_prior()
        empty = (0.0,) * RING_BINS
        return cls(prior, empty, empty, 0.0, (), fit_ring(*prior), 0)

    def observed(self, ring_s: float, answered: bool) -> RingModel:
        pending = (*self.pending, (max(0.0, ring_s), answered))
        model = RingModel(
            self.prior, self.answered, self.failed, self.weight, pending, self.fit, self.version
        )
        if len(pending) >= max(MIN_REFIT, REFIT_SHARE * self.weight):
            return model.refitted()
        return model

    def refitted(self) -> RingModel:
        answered, failed = list(self.answered), list(self.failed)
        for ring_s, was_answered in self.pending:
            (answered if was_answered else failed)[min(int(ring_s), RING_BINS - 1)] += 1.0
        weight = self.weight + len(self.pending)
        if weight > MAX_WEIGHT:
            answered, failed = [c * 0.5 for c in answered], [c * 0.5 for c in failed]
            weight *= 0.5
        fit = fit_ring(_plus(answered, self.prior[0]), _plus(failed, self.prior[1]))
        return RingModel(
            self.prior, tuple(answered), tuple(failed), weight, (), fit, self.version + 1
        )


def default_prior() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Half answered after 5-25 s; the rest fail within 2-8 s (30 %) or time out at 30 s.

    Cautious on purpose: a high answer share means few dials per free agent until the
    first results show the campaign's real share (a restart with every agent ready must
    not flood them with answered calls)."""
    answered = [0.0] * RING_BINS
    failed = [0.0] * RING_BINS
    share = 0.5 * PRIOR_WEIGHT
    for s in range(5, 25):
        answered[s] = share / 20
    for s in range(2, 8):
        failed[s] = 0.3 * (PRIOR_WEIGHT - share) / 6
    failed[30] = 0.7 * (PRIOR_WEIGHT - share)
    return tuple(answered), tuple(failed)


def fit_ring(
    answered: list[float] | tuple[float, ...], failed: list[float] | tuple[float, ...]
) -> RingFit:
    """Answer share, pickup points and per-elapsed-second answer chances from the histograms."""
    total_answered = sum(answered)
    total = total_answered + sum(failed)
    cum_answered = [0.0, *accumulate(answered)]  # answered weight with ring < s
    cum_all = [0.0, *accumulate(a + f for a, f in zip(answered, failed, strict=True))]
    pickup = tuple(
        _quantile(cum_answered, total_answered * (k + 0.5) / PICKUP_POINTS)
        for k in range(PICKUP_POINTS)
    )
    rows = tuple(_ahead_row(cum_answered, total - cum_all[r], r, pickup) for r in range(RING_BINS))
    return RingFit(total_answered / total if total else 0.0, pickup, rows)


def _ahead_row(
    cum_answered: list[float], unresolved: float, r: int, pickup: tuple[float, ...]
) -> tuple[float, ...]:
    if unresolved <= 1e-9:
        chances = [0.0] * len(pickup)
    else:
        base = cum_answered[r]
        chances = [
            min(1.0, max(0.0, (_at(cum_answered, r + t) - base) / unresolved)) for t in pickup
        ]
    return (*chances, *(a * (1.0 - a) for a in chances))


def _at(cum: list[float], x: float) -> float:
    """Cumulative weight below `x` seconds, linear within a bin."""
    if x >= len(cum) - 1:
        return cum[-1]
    i = int(x)
    return cum[i] + (cum[i + 1] - cum[i]) * (x - i)


def _quantile(cum: list[float], target: float) -> float:
    for i in range(1, len(cum)):
        if cum[i] >= target:
            width = cum[i] - cum[i - 1]
            return i - 1 + ((target - cum[i - 1]) / width if width > 0 else 0.0)
    return float(len(cum) - 1)


def _plus(a: list[float], b: tuple[float, ...]) -> list[float]:
    return [x + y for x, y in zip(a, b, strict=True)]
