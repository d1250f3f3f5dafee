from __future__ import annotations

import itertools

import pytest

from pacing.forecast import EXACT_LIMIT, Outlook, margin_cdf
from pacing.handle import TALK_BINS, HandleTimeModel
from pacing.risk import abandon_risk, binomial


def brute_cdf(sure: int, ups: list[float], downs: list[float], x: int) -> float:
    total = 0.0
    for ups_hit in itertools.product((0, 1), repeat=len(ups)):
        for downs_hit in itertools.product((0, 1), repeat=len(downs)):
            chance = 1.0
            for q, hit in zip(ups, ups_hit, strict=True):
                chance *= q if hit else 1.0 - q
            for a, hit in zip(downs, downs_hit, strict=True):
                chance *= a if hit else 1.0 - a
            if sure + sum(ups_hit) - sum(downs_hit) <= x:
                total += chance
    return total


@pytest.mark.parametrize("sure", [-2, 0, 1, 3])
def test_margin_is_counted_exactly(sure: int) -> None:
    ups, downs = [0.3, 0.8, 0.05], [0.5, 0.2]
    cdf = margin_cdf(sure, tuple(ups), tuple(downs))
    assert cdf is not None
    for x in range(6):
        expected = brute_cdf(sure, ups, downs, x)
        assert (cdf[x] if x < len(cdf) else 1.0) == pytest.approx(expected)


def test_near_certain_chances_count_as_sure() -> None:
    assert margin_cdf(0, (1.0, 1.0), (0.0,)) == (0.0, 0.0, 1.0)


def test_too_many_uncertain_chances_are_not_counted() -> None:
    assert margin_cdf(0, (0.5,) * (EXACT_LIMIT + 1), ()) is None


def test_exact_risk_of_one_free_agent_and_one_rival_call() -> None:
    # one agent surely free; one ringing call answers before the pickup with chance 0.4
    cdf = margin_cdf(1, (), (0.4,))
    outlook = Outlook((1.0,), (0.0,), (0.4,), (0.24,), (0.2,), (cdf,) if cdf else None)
    assert abandon_risk(outlook, 1) == pytest.approx(0.4)
    # the second new dial also loses when the first new one answers before it
    assert abandon_risk(outlook, 2) == pytest.approx(0.4 + 0.6 * 0.2)


def test_binomial_chances() -> None:
    assert binomial(2, 0.5) == pytest.approx([0.25, 0.5, 0.25])
    assert binomial(0, 0.3) == [1.0]


def test_a_call_longer_than_any_seen_is_not_taken_as_ending() -> None:
    model = HandleTimeModel.with_prior(100.0)
    for _ in range(300):
        model = model.observed(100.0)
    rows = model.refitted().free_rows((15,))
    assert rows[TALK_BINS - 1][0] < 0.5
    assert rows[1000][0] < 0.5
