"""How long agents stay busy: the campaign's talk-time distribution, learned online.

An empirical histogram of completed calls' talk seconds (1-second bins), blended with a
small lognormal prior around the campaign's expected talk time so the model is usable
before the first call ends and its tail never drops to zero. Old calls fade: once the
observed weight passes `MAX_WEIGHT` it is halved, so the model follows a campaign whose
calls get shorter or longer over the day.

What pacing asks of it: for an agent whose call has lasted `e` seconds, the chance that
the call is over within `r` more seconds, P(T <= e + r | T >= e).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate, pairwise

TALK_BINS = 3600  # whole seconds; the last bin holds every call of an hour or more
PRIOR_WEIGHT = 20.0  # the prior counts as this many calls
PRIOR_SIGMA = 1.0  # lognormal shape of the prior: wide, since it is a guess
MAX_WEIGHT = 4000.0
REFIT_SHARE = 0.1  # refit once this share of new calls has arrived
MIN_REFIT = 16
TAIL_CALLS = 20.0  # below this many longer calls, the survival turns exponential
TAIL_SHARE = 0.05

Rows = tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class HandleTimeModel:
    prior: tuple[float, ...]  # pseudo-counts per bin
    counts: tuple[float, ...]  # observed calls per bin, faded
    weight: float  # sum of `counts`
    pending: tuple[float, ...]  # talk seconds not folded into `counts` yet
    survival: tuple[float, ...]  # P(talk >= s) for s = 0 .. TALK_BINS
    version: int  # bumped on every refit, so derived tables know they are stale

    @classmethod
    def with_prior(cls, expected_talk_s: float) -> HandleTimeModel:
        prior = lognormal_bins(expected_talk_s, PRIOR_SIGMA, PRIOR_WEIGHT)
        empty = (0.0,) * TALK_BINS
        return cls(prior, empty, 0.0, (), survival_of(prior), 0)

    @property
    def observed_calls(self) -> float:
        return self.weight + len(self.pending)

    @property
    def mean_s(self) -> float:
        """Mean talk time under the model (prior included)."""
        return sum(self.survival[1:]) + self.survival[0] * 0.5

    @property
    def observed_mean_s(self) -> float:
        """Mean talk time of the calls learnt (faded), the prior left out; 0 before any."""
        total = sum((i + 0.5) * c for i, c in enumerate(self.counts) if c) + sum(self.pending)
        calls = self.observed_calls
        return total / calls if calls else 0.0

    def observed(self, talk_s: float) -> HandleTimeModel:
        pending = (*self.pending, max(0.0, talk_s))
        model = HandleTimeModel(
            self.prior, self.counts, self.weight, pending, self.survival, self.version
        )
        if len(pending) >= max(MIN_REFIT, REFIT_SHARE * self.weight):
            return model.refitted()
        return model

    def refitted(self) -> HandleTimeModel:
        counts = list(self.counts)
        for talk_s in self.pending:
            counts[min(int(talk_s), TALK_BINS - 1)] += 1.0
        weight = self.weight + len(self.pending)
        if weight > MAX_WEIGHT:
            counts = [c * 0.5 for c in counts]
            weight *= 0.5
        blended = [c + p for c, p in zip(counts, self.prior, strict=True)]
        return HandleTimeModel(
            self.prior, tuple(counts), weight, (), survival_of(blended), self.version + 1
        )

    def free_rows(self, allowances: tuple[float, ...]) -> Rows:
        """Per whole second of elapsed talk: P(over within each allowance), then variances.

        An allowance is the talk seconds left before the agent must be free (the time
        ahead minus the wrap-up); zero or less means the agent cannot make it.
        """
        cols = [self._over_within(r) for r in allowances]
        variances = [[q * (1.0 - q) for q in col] for col in cols]
        return tuple(zip(*cols, *variances, strict=True))

    def _over_within(self, r: float) -> list[float]:
        if r <= 0:
            return [0.0] * TALK_BINS
        whole, part = int(r), r - int(r)
        s = self.survival
        step = s[-1] / s[-2]  # past the last bin the exponential tail goes on
        ext = (*s, *(s[-1] * step ** (i + 1) for i in range(whole + 1)))
        later = [  # P(talk >= e + r), linear between whole seconds
            (1.0 - part) * a + part * b
            for a, b in zip(ext[whole : whole + TALK_BINS], ext[whole + 1 :], strict=False)
        ]
        return [1.0 - b / a for a, b in zip(s[:TALK_BINS], later, strict=True)]


def survival_of(weights: list[float] | tuple[float, ...]) -> tuple[float, ...]:
    """P(talk >= s) for s = 0 .. len(weights), from weights per 1-second bin.

    Where fewer than TAIL_CALLS calls lasted longer, a histogram would say that a call
    outlasting them all must end at once; there the survival continues as an exponential
    with the mean remaining time of those calls instead."""
    total = sum(weights)
    longer = [*list(accumulate(reversed(weights)))[::-1], 0.0]  # weight with talk >= s
    sparse = min(TAIL_CALLS, TAIL_SHARE * total)
    cut = next((s for s, w in enumerate(longer) if w < sparse), len(weights))
    remaining = sum((i + 0.5 - cut) * weights[i] for i in range(cut, len(weights)))
    mean_left = max(1.0, remaining / longer[cut]) if longer[cut] > 0 else 1.0
    head = [w / total for w in longer[:cut]]
    at_cut = longer[cut] / total
    tail = [at_cut * math.exp(-(s - cut) / mean_left) for s in range(cut, len(longer))]
    return tuple(max(p, 1e-300) for p in head + tail)  # never zero: it divides


def lognormal_bins(mean_s: float, sigma: float, weight: float) -> tuple[float, ...]:
    """`weight` spread over 1-second bins by a lognormal of mean `mean_s`."""
    mu = math.log(mean_s) - sigma * sigma / 2.0

    def cdf(x: float) -> float:
        return 0.0 if x <= 0 else 0.5 * math.erfc(-(math.log(x) - mu) / (sigma * math.sqrt(2)))

    edges = [cdf(float(i)) for i in range(TALK_BINS)] + [1.0]
    return tuple(weight * (b - a) for a, b in pairwise(edges))
