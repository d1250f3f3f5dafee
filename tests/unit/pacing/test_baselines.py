from __future__ import annotations

from dataclasses import replace

import pytest

from pacing import PacingInputs, WindowCounts
from pacing.sim.baselines import FixedLevel, Vicidial, VicidialSettings, hhmm, lines_short
from tests.unit.pacing.support import predictive_inputs

TEN_TALKING = predictive_inputs(talking=(50.0,) * 10)


def test_fixed_level_keeps_level_times_agents_lines_up() -> None:
    inputs = predictive_inputs(ready=2, talking=(5.0,) * 8, ringing=(1.0,) * 3)
    assert lines_short(inputs, 1.5) == 15 - 11
    assert FixedLevel(1.0).decide(inputs, 0.0, ()) == 0


def adapt(vicidial: Vicidial, inputs: PacingInputs, rounds: int = 1) -> float:
    for _ in range(6 * rounds):  # the level moves every 15 s, the loop runs every 2.5 s
        vicidial.decide(inputs, 3600.0, ())
    return vicidial.level


def test_idle_agents_raise_the_level() -> None:
    idle = predictive_inputs(ready=5, talking=(50.0,) * 5)
    assert adapt(Vicidial(VicidialSettings()), idle) == pytest.approx(1.5)


def test_level_never_exceeds_the_maximum() -> None:
    idle = predictive_inputs(ready=10)
    assert adapt(Vicidial(VicidialSettings(maximum_level=2.5)), idle, rounds=5) == 2.5


def over_limit(vicidial: Vicidial) -> PacingInputs:
    vicidial.level, vicidial.dials_today = 2.0, 100
    return replace(TEN_TALKING, window=WindowCounts(connected=90, abandoned=10))


@pytest.mark.parametrize(
    ("method", "level"),
    [("ADAPT_HARD_LIMIT", 1.0), ("ADAPT_AVERAGE", 1.0), ("ADAPT_TAPERED", 2.0)],
)
def test_drop_brake_at_ten_in_the_morning(method: str, level: float) -> None:
    vicidial = Vicidial(VicidialSettings(method, start_hour=9.0))
    inputs = over_limit(vicidial)
    for _ in range(6):
        vicidial.decide(inputs, 3600.0, ())  # 10:00: TAPERED has more than 1000 "hours" left
    assert vicidial.level == pytest.approx(level)


def test_tapered_brake_late_in_the_day_scales_by_time_left() -> None:
    vicidial = Vicidial(VicidialSettings("ADAPT_TAPERED", start_hour=9.0))
    inputs = over_limit(vicidial)
    for _ in range(6):
        vicidial.decide(inputs, 8 * 3600.0, ())  # 17:00 -> 400 left -> x0.4
    assert vicidial.level == pytest.approx(1.0)  # 2.0 x 0.4 = 0.8, raised to the floor of 1


def test_clock_as_the_perl_reads_it() -> None:
    assert hhmm(13.25) == 1315
    assert hhmm(9.0) == 900
