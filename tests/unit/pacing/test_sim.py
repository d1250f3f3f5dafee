from __future__ import annotations

import pytest

from pacing.sim import Scenario, ShiftResult, run_shift
from pacing.sim.baselines import Progressive
from pacing.sim.policies import Oracle, Ours
from pacing.sim.world import settings_for
from tests.unit.pacing.support import PREDICTIVE, predictive_inputs

SHORT = Scenario(agents=10, answer_rate=0.25, talk_mean_s=60.0, shift_s=2 * 3600.0)


def test_same_seed_same_shift_other_seed_other_shift() -> None:
    first = run_shift(SHORT, Progressive(2.0), seed=3)
    again = run_shift(SHORT, Progressive(2.0), seed=3)
    other = run_shift(SHORT, Progressive(2.0), seed=4)
    assert first == again
    assert other != first


def test_progressive_one_to_one_never_abandons() -> None:
    result = run_shift(SHORT, Progressive(1.0), seed=1)
    assert result.abandoned == 0
    assert 0.3 < result.occupancy < 0.6


def test_predictive_keeps_agents_busier_within_the_abandon_target() -> None:
    progressive = run_shift(SHORT, Progressive(1.0), seed=1)
    ours = run_shift(SHORT, Ours(settings_for(SHORT)), seed=1)
    assert ours.occupancy > progressive.occupancy + 0.2
    assert ours.abandon_rate < 0.05


def test_agent_time_is_accounted_once() -> None:
    result = run_shift(SHORT, Ours(settings_for(SHORT)), seed=2)
    assert result.agent_s == 10 * 2 * 3600.0
    assert 0.0 < result.occupancy < 1.0
    assert sum(s.occupancy for s in result.timeline) / len(result.timeline) == pytest.approx(
        result.occupancy
    )


def test_shift_result_figures() -> None:
    result = ShiftResult(busy_s=2700.0, agent_s=3600.0, connected=20, abandoned=1, dials=80)
    assert result.occupancy == 0.75
    assert result.idle_minutes_per_agent_hour == pytest.approx(15.0)
    assert result.connects_per_agent_hour == 20.0
    assert result.abandon_rate == pytest.approx(1 / 21)


def test_oracle_dials_only_for_agents_it_knows_will_be_free() -> None:
    oracle = Oracle(PREDICTIVE)
    busy = predictive_inputs(talking=(30.0, 30.0))
    assert oracle.decide(busy, 0.0, truth=(300.0, 300.0)) == 0
    assert oracle.decide(busy, 0.0, truth=(5.0, 5.0)) > 0


def test_scenario_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="agent"):
        Scenario(agents=0)
