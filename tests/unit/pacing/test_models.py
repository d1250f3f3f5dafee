"""The learned models: talk time and ring outcomes."""

from __future__ import annotations

import pytest

from pacing.handle import HandleTimeModel
from pacing.ring import RING_BINS, RingModel


def learned_talk(values: list[float], prior_s: float = 120.0) -> HandleTimeModel:
    model = HandleTimeModel.with_prior(prior_s)
    for talk_s in values:
        model = model.observed(talk_s)
    return model.refitted()


def test_prior_mean_is_the_expected_talk_time() -> None:
    assert HandleTimeModel.with_prior(120.0).mean_s == pytest.approx(120.0, rel=0.03)


def test_talk_model_learns_shorter_calls() -> None:
    model = learned_talk([60.0] * 400)
    assert model.mean_s == pytest.approx(60.0, rel=0.1)


def test_refits_on_its_own_as_calls_arrive() -> None:
    model = HandleTimeModel.with_prior(120.0)
    for _ in range(40):
        model = model.observed(30.0)
    assert model.version > 0
    assert model.observed_calls == 40


def test_old_calls_fade_so_weight_stays_bounded() -> None:
    model = learned_talk([50.0] * 9000)
    assert model.weight <= 4000


def test_chance_of_finishing_depends_on_how_long_the_call_has_lasted() -> None:
    # every call lasts 100 s: at 90 s it ends within 15 s; at 10 s it does not
    model = learned_talk([100.0] * 2000)
    (row_late, row_early) = (model.free_rows((15,))[90], model.free_rows((15,))[10])
    assert row_late[0] > 0.95
    assert row_early[0] < 0.05


def test_no_allowance_means_no_chance() -> None:
    model = learned_talk([5.0] * 100)
    assert model.free_rows((0,))[3][0] == 0.0


def learned_ring(results: list[tuple[float, bool]]) -> RingModel:
    model = RingModel.with_prior()
    for ring_s, answered in results:
        model = model.observed(ring_s, answered)
    return model.refitted()


def test_ring_prior_is_cautious_about_answers() -> None:
    assert RingModel.with_prior().fit.answer_share == pytest.approx(0.5)


def test_ring_model_learns_answer_share_and_pickup_times() -> None:
    results = [(20.0, True)] * 300 + [(30.0, False)] * 700
    fit = learned_ring(results).fit
    assert fit.answer_share == pytest.approx(0.3, abs=0.02)
    assert all(19.0 <= t <= 21.5 for t in fit.pickup_s[1:-1])


def test_a_dial_that_rang_past_every_pickup_is_unlikely_to_answer() -> None:
    fit = learned_ring([(20.0, True)] * 300 + [(30.0, False)] * 900).fit
    fresh, after_pickups = fit.ahead_rows[0], fit.ahead_rows[25]
    k = len(fit.pickup_s)
    assert fresh[k - 1] > 0.2  # a fresh dial: its answer chance by the last pickup point
    assert after_pickups[k - 1] < 0.02
    assert len(fit.ahead_rows) == RING_BINS


def test_the_observed_mean_leaves_the_prior_out() -> None:
    model = HandleTimeModel.with_prior(300.0)
    assert model.observed_mean_s == 0.0
    for talk_s in (10.2, 20.2, 30.2) * 10:  # 30 calls: some refitted into bins, some pending
        model = model.observed(talk_s)
    assert model.weight > 0
    assert model.pending
    assert abs(model.observed_mean_s - 20.2) < 0.5
    assert model.mean_s > 50.0  # the forecast still leans on the prior
