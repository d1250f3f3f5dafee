"""The health check: a stratified comparison with peers, calibrated by simulation."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caller_id_pool import (
    HealthSettings,
    HourOutcomes,
    NumberState,
    PoolNumber,
    check_health,
    quarantines,
)
from caller_id_pool.health import stratified_z
from tests.unit.caller_id_pool.support import CLASSIFIER, NOW

POOL = tuple(CLASSIFIER.pool_number(f"+38067{1_000_000 + i}") for i in range(10))
HOURS = tuple(NOW.replace(minute=0, second=0) - timedelta(hours=h + 1) for h in range(71))
# a working day and a half: 36 dialling hours in the 72-hour window
WORKING = HOURS[:12] + HOURS[24:36] + HOURS[48:60]


def simulate(
    rng: random.Random,
    calls_per_number: int,
    *,
    bad: str | None = None,
    bad_factor: float = 0.5,
    pool: tuple[PoolNumber, ...] = POOL,
) -> list[HourOutcomes]:
    """Answer rates swing between 10 % and 40 % by hour; every number shares them but `bad`."""
    rates = {hour: 0.1 + 0.3 * rng.random() for hour in WORKING}
    per_hour = calls_per_number // len(WORKING)
    rows = []
    for number in pool:
        factor = bad_factor if number.number == bad else 1.0
        for hour in WORKING:
            answered = sum(rng.random() < rates[hour] * factor for _ in range(per_hour))
            short = sum(rng.random() < 0.1 for _ in range(answered))
            rows.append(HourOutcomes(number.number, hour, per_hour, answered, short))
    return rows


def flagged(
    rows: list[HourOutcomes], pool: tuple[PoolNumber, ...] = POOL, **kw: object
) -> set[str]:
    health = HealthSettings(**kw)  # type: ignore[arg-type]
    return {v.number for v in check_health(rows, pool, health, NOW) if v.flagged}


def test_stratified_z_matches_a_hand_computed_table() -> None:
    # one hour: 10 of 100 answered vs peers' 30 of 100
    # E = 100 * 40 / 200 = 20; Var = 100 * 100 * 40 * 160 / (200^2 * 199) = 8.0402
    result = stratified_z([(10, 100, 30, 100)])
    assert result.expected == pytest.approx(20.0)
    assert result.z == pytest.approx(-9.5 / math.sqrt(8.0402), abs=1e-3)


def test_healthy_pools_do_not_quarantine_on_noise() -> None:
    rng = random.Random(20261124)
    false_alarms = sum(bool(flagged(simulate(rng, 288))) for _ in range(400))
    # significance 0.001 per check: about 0.4 expected in 400 pools
    assert false_alarms <= 2


def test_a_number_answered_half_as_often_is_caught() -> None:
    rng = random.Random(7)
    bad = POOL[3].number
    caught = sum(flagged(simulate(rng, 432, bad=bad)) == {bad} for _ in range(100))
    assert caught >= 95


def test_comparable_hours_a_night_shift_number_is_not_blamed_for_the_night() -> None:
    day, night = HOURS[5], HOURS[15]
    night_number, peers = POOL[0].number, [n.number for n in POOL[1:4]]
    rows = [HourOutcomes(night_number, night, 300, 30)]  # 10 %, as good as peers at night
    rows += [HourOutcomes(p, night, 100, 10) for p in peers]
    rows += [HourOutcomes(p, day, 300, 120) for p in peers]  # 40 % in the day
    assert flagged(rows, POOL[:4]) == set()
    unstratified = [replace(row, hour=day) for row in rows]  # as if hours did not matter
    assert flagged(unstratified, POOL[:4]) == {night_number}


def test_too_few_calls_are_not_judged() -> None:
    rows = [HourOutcomes(POOL[0].number, HOURS[1], 150, 0)]
    rows += [HourOutcomes(n.number, HOURS[1], 150, 50) for n in POOL[1:3]]
    verdicts = check_health(rows, POOL[:3], HealthSettings(), NOW)
    assert not verdicts[0].flagged
    assert verdicts[0].reason == "too few calls to judge (150 of 200 in 72 h)"


def test_a_material_effect_is_required() -> None:
    hours = HOURS[:20]
    rows = [HourOutcomes(POOL[0].number, h, 5000, 1150) for h in hours]  # 23 % vs 25 %
    rows += [HourOutcomes(n.number, h, 5000, 1250) for n in POOL[1:4] for h in hours]
    assert flagged(rows, POOL[:4], min_effect=0.0) == {POOL[0].number}  # significant...
    assert flagged(rows, POOL[:4]) == set()  # ...but 8 % worse is not 20 % worse


def test_short_calls_are_watched_too() -> None:
    rows = [HourOutcomes(POOL[0].number, h, 30, 8, 6) for h in HOURS[:20]]
    rows += [HourOutcomes(n.number, h, 30, 8, 1) for n in POOL[1:5] for h in HOURS[:20]]
    verdicts = {v.number: v for v in check_health(rows, POOL[:5], HealthSettings(), NOW)}
    assert verdicts[POOL[0].number].flagged
    assert verdicts[POOL[0].number].reason.startswith(
        "short-call rate significantly worse than its peers in the same hours: answer rate 26.7%"
    )


def test_outside_the_window_and_before_a_restore_is_ignored() -> None:
    old = NOW - timedelta(hours=80)
    rows = [HourOutcomes(POOL[0].number, old, 400, 0)]
    rows += [HourOutcomes(n.number, old, 400, 100) for n in POOL[1:3]]
    assert flagged(rows, POOL[:3]) == set()
    recent = [replace(r, hour=HOURS[2]) for r in rows]
    assert flagged(recent, POOL[:3]) == {POOL[0].number}
    restored = {POOL[0].number: HOURS[1]}
    verdicts = check_health(recent, POOL[:3], HealthSettings(), NOW, restored)
    assert not any(v.flagged for v in verdicts)


def test_only_active_numbers_are_peers_and_quarantined() -> None:
    rows = [HourOutcomes(POOL[0].number, HOURS[1], 400, 0)]
    rows += [HourOutcomes(n.number, HOURS[1], 400, 100) for n in POOL[1:3]]
    retired = (POOL[0], POOL[1], replace(POOL[2], state=NumberState.RETIRED))
    verdicts = check_health(rows, retired, HealthSettings(), NOW)
    assert [v.number for v in verdicts] == [POOL[0].number, POOL[1].number]
    (change,) = quarantines(verdicts, retired, NOW)
    assert (change.number, change.previous, change.state) == (
        POOL[0].number,
        NumberState.ACTIVE,
        NumberState.QUARANTINED,
    )
    assert (change.actor, change.event, change.at) == ("health", "caller_id_quarantined", NOW)
    paused = (replace(POOL[0], state=NumberState.QUARANTINED), *retired[1:])
    assert quarantines(verdicts, paused, NOW) == ()


def test_a_lone_number_has_no_peers_to_be_compared_with() -> None:
    rows = [HourOutcomes(POOL[0].number, HOURS[1], 400, 0)]
    (verdict,) = check_health(rows, POOL[:1], HealthSettings(), NOW)
    assert not verdict.flagged


@st.composite
def proportional_pools(draw: st.DrawFn) -> list[HourOutcomes]:
    """Every number answered exactly at the hour's rate (up to rounding): no one is worse."""
    size = draw(st.integers(2, 8))
    rows = []
    for hour in HOURS[: draw(st.integers(1, 30))]:
        rate = draw(st.floats(0.05, 0.6))
        for number in POOL[:size]:
            calls = draw(st.integers(0, 60))
            rows.append(HourOutcomes(number.number, hour, calls, round(calls * rate)))
    return rows


@settings(max_examples=200, deadline=None)
@given(proportional_pools())
def test_numbers_as_good_as_their_peers_are_never_flagged(rows: list[HourOutcomes]) -> None:
    assert flagged(rows, min_attempts=20) == set()


@settings(max_examples=200, deadline=None)
@given(
    calls=st.integers(200, 2000),
    peer_rate=st.floats(0.2, 0.6),
    peers=st.integers(2, 9),
    hours=st.integers(1, 24),
)
def test_a_number_nobody_answers_is_always_flagged(
    calls: int, peer_rate: float, peers: int, hours: int
) -> None:
    per_hour = math.ceil(calls / hours)
    rows = [HourOutcomes(POOL[0].number, h, per_hour, 0) for h in HOURS[:hours]]
    rows += [
        HourOutcomes(n.number, h, per_hour, round(per_hour * peer_rate))
        for n in POOL[1 : peers + 1]
        for h in HOURS[:hours]
    ]
    assert flagged(rows, POOL[: peers + 1]) == {POOL[0].number}


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="significance"):
        HealthSettings(significance=0.0)
    with pytest.raises(ValueError, match="positive"):
        HealthSettings(min_attempts=0)
