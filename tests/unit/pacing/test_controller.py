from __future__ import annotations

import pytest

from pacing import WindowCounts
from pacing.controller import (
    AIM_SHARE,
    AIM_SHARE_MOST,
    RESERVE_CALLS,
    Calibration,
    aim_of,
    risk_limit,
)

TARGET = 0.03


def test_a_fresh_window_starts_at_the_aim() -> None:
    limit, budget = risk_limit(WindowCounts(), TARGET)
    assert limit == pytest.approx(TARGET * AIM_SHARE)
    assert budget == 0.0


def test_budget_is_what_the_aim_allows_minus_what_was_spent() -> None:
    window = WindowCounts(connected=990, abandoned=10)
    _, budget = risk_limit(window, TARGET)
    assert budget == pytest.approx(1000 * aim_of(window, TARGET) - 10)


def test_overspending_lowers_the_limit_and_saving_raises_it() -> None:
    on_aim, _ = risk_limit(WindowCounts(connected=973, abandoned=27), TARGET)
    over, _ = risk_limit(WindowCounts(connected=960, abandoned=40), TARGET)
    under, _ = risk_limit(WindowCounts(connected=990, abandoned=10), TARGET)
    assert over < on_aim < under


def test_limit_stays_within_bounds() -> None:
    low, _ = risk_limit(WindowCounts(connected=0, abandoned=500), TARGET)
    high, _ = risk_limit(WindowCounts(connected=100_000, abandoned=0), TARGET)
    assert low == pytest.approx(0.1 * TARGET * AIM_SHARE)
    assert high == pytest.approx(3.0 * TARGET * AIM_SHARE_MOST)


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


def test_a_small_window_aims_at_the_lowest_share() -> None:
    assert aim_of(WindowCounts(), TARGET) == pytest.approx(TARGET * AIM_SHARE)
    assert aim_of(WindowCounts(connected=500, abandoned=14), TARGET) == pytest.approx(
        TARGET * AIM_SHARE
    )


def test_a_large_window_keeps_a_reserve_of_calls() -> None:
    window = WindowCounts(connected=4000, abandoned=110)
    assert TARGET * window.connected - aim_of(window, TARGET) * window.connected == (
        pytest.approx(RESERVE_CALLS)
    )
    assert aim_of(WindowCounts(connected=1_000_000), TARGET) == pytest.approx(
        TARGET * AIM_SHARE_MOST
    )


def test_the_aim_grows_with_connected_calls_only() -> None:
    aims = [aim_of(WindowCounts(connected=c), TARGET) for c in range(0, 20_000, 500)]
    assert aims == sorted(aims)
    assert aims[-1] > aims[0]
    # an abandon adds an answer but must not raise the aim
    base = WindowCounts(connected=4000, abandoned=100)
    assert aim_of(WindowCounts(4000, 400), TARGET) == aim_of(base, TARGET)
