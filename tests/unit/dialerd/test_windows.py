"""Calling windows: examples a PBX admin would check by hand, then properties over every zone.

The properties judge dialerd.windows against a reference written here the plain way (the
local wall clock of the instant, read with zoneinfo, compared with the configured hours),
over random zones, hours and instants, with instants drawn around each zone's DST changes.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from dialerd.windows import (
    DAY_S,
    CallingWindow,
    Customer,
    Span,
    ZonePolicy,
    customer_for,
    is_open,
    next_opening,
)

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")
H = 3600
OFFICE = CallingWindow(
    weekly=(*[(Span(9 * H, 20 * H),)] * 5, (Span(10 * H, 16 * H),), ()),
    holidays=frozenset({date(2026, 12, 25)}),
)


def at(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold).astimezone(UTC)  # type: ignore[misc]


# ---- examples ------------------------------------------------------------------------


def test_weekday_hours_in_the_customers_zone() -> None:
    kyiv = Customer((KYIV,))
    assert is_open(OFFICE, kyiv, at(KYIV, 2026, 12, 1, 9, 0))  # Tuesday
    assert not is_open(OFFICE, kyiv, at(KYIV, 2026, 12, 1, 8, 59, 59))
    assert not is_open(OFFICE, kyiv, at(KYIV, 2026, 12, 1, 20, 0))
    assert is_open(OFFICE, kyiv, at(KYIV, 2026, 12, 5, 15, 59))  # Saturday
    assert not is_open(OFFICE, kyiv, at(KYIV, 2026, 12, 6, 12, 0))  # Sunday: not listed


def test_holiday_closes_the_whole_local_day_and_the_next_opening_skips_it() -> None:
    kyiv = Customer((KYIV,))
    assert not is_open(OFFICE, kyiv, at(KYIV, 2026, 12, 25, 12, 0))
    # Friday 25th is a holiday, so after Thursday 20:00 the next opening is Saturday 10:00.
    opening = next_opening(OFFICE, kyiv, at(KYIV, 2026, 12, 24, 20, 0))
    assert opening == at(KYIV, 2026, 12, 26, 10, 0)


def test_preferred_window_narrows_and_may_cross_midnight() -> None:
    evening = Customer((KYIV,), preferred=(time(18, 0), time(1, 0)))
    assert not is_open(OFFICE, evening, at(KYIV, 2026, 12, 1, 17, 59))
    assert is_open(OFFICE, evening, at(KYIV, 2026, 12, 1, 18, 0))
    assert next_opening(OFFICE, evening, at(KYIV, 2026, 12, 1, 10, 0)) == at(
        KYIV, 2026, 12, 1, 18, 0
    )
    never = Customer((KYIV,), preferred=(time(21, 0), time(23, 0)))
    assert next_opening(OFFICE, never, at(KYIV, 2026, 12, 1, 10, 0)) is None


def test_a_start_inside_the_spring_gap_opens_when_the_gap_ends() -> None:
    # New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT; a 02:30 start opens at 03:00.
    night = CallingWindow(weekly=((Span(2 * H + 1800, 5 * H),),) * 7)
    customer = Customer((NEW_YORK,))
    opening = next_opening(night, customer, at(NEW_YORK, 2026, 3, 8, 0, 0))
    assert opening == at(NEW_YORK, 2026, 3, 8, 3, 0)
    assert opening == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def test_the_autumn_fold_is_open_in_both_readings() -> None:
    night = CallingWindow(weekly=((Span(1 * H + 1800, 2 * H),),) * 7)
    customer = Customer((NEW_YORK,))
    first, second = (at(NEW_YORK, 2026, 11, 1, 1, 45, fold=f) for f in (0, 1))
    assert second - first == timedelta(hours=1)
    assert is_open(night, customer, first)
    assert is_open(night, customer, second)
    assert not is_open(night, customer, first + timedelta(minutes=30))  # 01:15 EST is before
    assert next_opening(night, customer, first + timedelta(minutes=15)) == second - timedelta(
        minutes=15
    )


def test_several_zones_all_by_default_or_any_by_policy() -> None:
    # A Russian mobile number maps to zones from Kaliningrad-ish to Kamchatka.
    customer = customer_for("+79161234567", None, "UTC")
    assert len(customer.zones) > 5
    noon_moscow = at(ZoneInfo("Europe/Moscow"), 2026, 12, 1, 12, 0)
    assert not is_open(OFFICE, customer, noon_moscow)  # already night in Kamchatka
    anywhere = CallingWindow(OFFICE.weekly, zone_policy=ZonePolicy.ANY)
    assert is_open(anywhere, customer, noon_moscow)


def test_zones_come_from_the_lead_then_the_number_then_the_fallback() -> None:
    assert customer_for("+380501234567", "America/Chicago", "UTC").zones == (
        ZoneInfo("America/Chicago"),
    )
    assert customer_for("+380501234567", None, "UTC").zones == (KYIV,)
    assert customer_for("+447700900002", None, "Europe/London").zones == (
        ZoneInfo("Europe/London"),
    )
    assert customer_for("+380501234567", "Mars/Olympus_Mons", "UTC").zones == (KYIV,)


# ---- properties ------------------------------------------------------------------------

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
START = datetime(2000, 1, 1, tzinfo=UTC)
END = datetime(2037, 1, 1, tzinfo=UTC)


@cache
def offset_changes(name: str, year: int) -> tuple[datetime, ...]:
    """The zone's offset changes in a year, found by stepping hour by hour (the slow way)."""
    zone, found = ZoneInfo(name), []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        following = moment + timedelta(hours=1)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            found.append(following)
        moment = following
    return tuple(found)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Anywhere in 2000-2036, or within three hours of one of the zone's DST changes."""
    year = draw(st.integers(2000, 2036))
    changes = offset_changes(zone, year)
    if changes and draw(st.booleans()):
        near = draw(st.sampled_from(changes))
        return near + timedelta(seconds=draw(st.integers(-3 * H, 3 * H)))
    return draw(st.datetimes(START.replace(tzinfo=None), END.replace(tzinfo=None))).replace(
        tzinfo=UTC
    )


@st.composite
def day_of_spans(draw: st.DrawFn) -> tuple[Span, ...]:
    """Zero to two spans on a quarter-hour grid, with starts and ends at 00:00-03:00 often."""
    edges = draw(st.lists(st.integers(0, 96), min_size=0, max_size=4, unique=True))
    edges.sort()
    return tuple(Span(a * 900, b * 900) for a, b in zip(edges[::2], edges[1::2], strict=False))


@st.composite
def windows(draw: st.DrawFn) -> CallingWindow:
    weekly = tuple(draw(day_of_spans()) for _ in range(7))
    holidays = draw(st.frozensets(st.dates(date(2000, 1, 1), date(2036, 12, 31)), max_size=3))
    return CallingWindow(weekly, holidays, draw(st.sampled_from(ZonePolicy)))


@st.composite
def customers(draw: st.DrawFn) -> tuple[Customer, tuple[str, ...]]:
    names = tuple(draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True)))
    preferred = draw(
        st.none() | st.tuples(st.times(), st.times()).filter(lambda pair: pair[0] != pair[1])
    )
    return Customer(tuple(map(ZoneInfo, names)), preferred), names


def reference_open(
    window: CallingWindow, customer: Customer, names: tuple[str, ...], moment: datetime
) -> bool:
    """The rule as an admin states it, zone by zone, with no shared code."""

    def open_in(name: str) -> bool:
        local = moment.astimezone(ZoneInfo(name))
        if local.date() in window.holidays:
            return False
        clock = local.hour * H + local.minute * 60 + local.second
        in_hours = any(s.start <= clock < s.end for s in window.weekly[local.weekday()])
        if customer.preferred is None:
            return in_hours
        first, last = (t.hour * H + t.minute * 60 + t.second for t in customer.preferred)
        in_preferred = first <= clock < last if first < last else clock >= first or clock < last
        return in_hours and in_preferred

    results = [open_in(name) for name in names]
    return all(results) if window.zone_policy is ZonePolicy.ALL else any(results)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), window=windows(), who=customers())
def test_a_dial_is_allowed_only_inside_the_window_in_every_zone(
    data: st.DataObject, window: CallingWindow, who: tuple[Customer, tuple[str, ...]]
) -> None:
    customer, names = who
    moment = data.draw(instants(names[0]))
    assert is_open(window, customer, moment) == reference_open(window, customer, names, moment)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), window=windows(), who=customers())
def test_next_opening_is_inside_the_window_and_nothing_earlier_is(
    data: st.DataObject, window: CallingWindow, who: tuple[Customer, tuple[str, ...]]
) -> None:
    customer, names = who
    moment = data.draw(instants(names[0]))
    opening = next_opening(window, customer, moment, horizon_days=30)
    note(f"moment={moment!r} opening={opening!r}")
    if opening is None:
        # Never within the horizon: then no whole minute of it is open either.
        probes = [moment + timedelta(minutes=m) for m in range(0, 30 * 24 * 60, 37)]
        assert not any(reference_open(window, customer, names, p) for p in probes)
        return
    assert opening >= moment
    assert reference_open(window, customer, names, opening)
    if opening > moment:
        assert not reference_open(window, customer, names, opening - timedelta(seconds=1))
        # Openings fall on whole seconds, so every instant a whole number of seconds after
        # `moment` and before the opening must be closed. (Integer seconds: a float fraction
        # of the gap can round up to the opening itself.)
        gap_s = math.ceil((opening - moment).total_seconds())
        probe = moment + timedelta(seconds=data.draw(st.integers(0, gap_s - 1)))
        assert not reference_open(window, customer, names, probe)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), window=windows(), who=customers())
def test_a_phone_claimed_again_and_again_is_only_dialled_inside_its_window(
    data: st.DataObject, window: CallingWindow, who: tuple[Customer, tuple[str, ...]]
) -> None:
    """The runner's loop in miniature: claim, dial if open, else put back at the opening."""
    customer, names = who
    now = data.draw(instants(names[0]))
    dials = 0
    for _ in range(5):
        if is_open(window, customer, now):
            assert reference_open(window, customer, names, now)
            dials += 1
            now += timedelta(seconds=data.draw(st.integers(1, 3 * DAY_S)))  # a retry delay
            continue
        reopen = next_opening(window, customer, now, horizon_days=30)
        assume(reopen is not None)
        assert reopen is not None
        assert reopen > now
        now = reopen
    assert dials >= 2  # phones put back are dialled when their window opens, never dropped


@pytest.mark.parametrize(("start", "end"), [(5, 5), (-1, 10), (0, DAY_S + 1), (10, 5)])
def test_spans_refuse_nonsense(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="a span needs"):
        Span(start, end)
