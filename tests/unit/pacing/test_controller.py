from __future__ import annotations

import pytest

from pacing import WindowCounts
from pacing.controller import AIM_SHARE, Calibration, risk_limit

TARGET = 0.03


def test_a_fresh_window_starts_at_the_aim() -> None:
    limit, budget = risk_limit(WindowCounts(), TARGET)
    assert limit == pytest.approx(TARGET * AIM_SHARE)
    assert budget == 0.0


def test_budget_is_what_the_aim_allows_minus_what_was_spent() -> None:
    _, budget = risk_limit(WindowCounts(connected=990, abandoned=10), TARGET)
    assert budget == pytest.approx(1000 * TARGET * AIM_SHARE - 10)


def test_overspending_lowers_the_limit_and_saving_raises_it() -> None:
    on_aim, _ = risk_limit(WindowCounts(connected=973, abandoned=27), TARGET)
    over, _ = risk_limit(WindowCounts(connected=960, abandoned=40), TARGET)
    under, _ = risk_limit(WindowCounts(connected=990, abandoned=10), TARGET)
    assert over < on_aim < under


def test_limit_stays_within_bounds() -> None:
    low, _ = risk_limit(WindowCounts(connected=0, abandoned=500), TARGET)
    high, _ = risk_limit(WindowCounts(connected=100_000, abandoned=0), TARGET)
    assert low == pytest.approx(0.1 * TARGET * AIM_SHARE)
    assert high == pytest.approx(3.0 * TARGET * AIM_SHARE)


def test_calibration_scales_the_limit_by_the_rate_a_limit_yields() -> None:
    calibration = Calibration()
    for _ in range(40):
        calibration = calibration.placed(1.0)  # forty abandons expected at the limit
    for _ in range(20):
        calibration = calibration.abandoned()  # half as many happened
    assert calibration.factor == pytest.approx(24 / 44)
    plain, _ = risk_limit(WindowCounts(), TARGET)
    scaled, _ = risk_limit(WindowCounts(), TARGET, calibration)
    assert scaled == pytest.approx(plain / calibration.factor)


def test_calibration_forgets_old_evidence() -> None:
    calibration = Calibration()
    for _ in range(1000):
        calibration = calibration.placed(1.0)
    assert calibration.predicted <= 400
