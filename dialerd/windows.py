"""Calling windows in the customer's local time. Pure: every instant is an argument.

A dial is allowed at instant ``at`` when, in the customer's zone, the local date is not a
holiday and the local time of day lies in one of that weekday's spans, narrowed by the
customer's own preferred window. When a number maps to several zones, the campaign's
policy says whether the window must be open in all of them (the default) or in any.

:func:`next_opening` finds the first allowed instant at or after a given one. The set of
allowed instants of one zone is a union of half-open intervals; each starts either where
local time crosses a span's start (one UTC instant, or two inside a DST fold) or at a UTC
offset change (a span start that falls in a DST gap opens when the gap ends). So the first
allowed instant is always among those candidates, and checking them in order with
:func:`is_open` finds it without stepping through time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

__all__ = [
    "DAY_S",
    "CallingWindow",
    "Customer",
    "Span",
    "ZonePolicy",
    "customer_for",
    "day_spans",
    "is_open",
    "next_opening",
]

DAY_S = 86_400
_SEARCH_CHUNK = timedelta(days=7)
_OFFSET_PROBE = timedelta(hours=6)  # offsets never change twice within 6 h in the tz database


class ZonePolicy(enum.StrEnum):
    """What to do when a number maps to several time zones."""

    ALL = "all"  # open only while the window is open in every one of them
    ANY = "any"  # open while it is open in at least one


@dataclass(frozen=True, slots=True)
class Span:
    """Part of a day: seconds since local midnight, ``start`` included, ``end`` excluded."""

    start: int
    end: int  # DAY_S is the midnight that ends the day

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_S:
            raise ValueError(f"a span needs 0 <= start < end <= {DAY_S}: {self}")


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """A campaign's hours: seven tuples of spans, Monday first, and holiday dates."""

    weekly: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = frozenset()
    zone_policy: ZonePolicy = ZonePolicy.ALL

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs one entry per weekday, Monday first")


@dataclass(frozen=True, slots=True)
class Customer:
    """Where the customer is and when they asked to be called (local to their zone)."""

    zones: tuple[ZoneInfo, ...]
    preferred: tuple[time, time] | None = None  # start > end crosses midnight

    def __post_init__(self) -> None:
        if not self.zones:
            raise ValueError("a customer needs at least one time zone")


def customer_for(
    number: str,
    time_zone: str | None,
    fallback_zone: str,
    preferred: tuple[time, time] | None = None,
) -> Customer:
    """The customer's zones: the lead's own zone, else the number's, else the fallback.

    A lead zone the tz database does not know (the import refuses them, but a database edited
    by hand may hold one) counts as none given.
    """
    own = _zone(time_zone) if time_zone else None
    zones = (own,) if own else tuple(filter(None, map(_zone, _number_zone_names(number))))
    return Customer(zones=zones or (ZoneInfo(fallback_zone),), preferred=preferred)


def _number_zone_names(number: str) -> tuple[str, ...]:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ()
    names: tuple[str, ...] = number_zones.time_zones_for_number(parsed)
    return tuple(name for name in names if name != number_zones.UNKNOWN_TIMEZONE)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def day_spans(window: CallingWindow, customer: Customer, weekday: int) -> tuple[Span, ...]:
    """The spans of ``weekday`` (0 = Monday), narrowed by the customer's preferred window."""
    spans = window.weekly[weekday]
    if customer.preferred is None:
        return spans
    preferred = _preferred_spans(*customer.preferred)
    narrowed = (_overlap(a, b) for a in spans for b in preferred)
    return tuple(span for span in narrowed if span is not None)


def _preferred_spans(start: time, end: time) -> tuple[Span, ...]:
    first, last = _seconds(start), _seconds(end)
    if first < last:
        return (Span(first, last),)
    if first == last:  # the import refuses these; read as "no preference" if one slips in
        return (Span(0, DAY_S),)
    # Crosses midnight: the evening part, and the early-morning part of the same weekday.
    spans = [Span(first, DAY_S)]
    if last > 0:
        spans.insert(0, Span(0, last))
    return tuple(spans)


def _overlap(a: Span, b: Span) -> Span | None:
    start, end = max(a.start, b.start), min(a.end, b.end)
    return Span(start, end) if start < end else None


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _open_in(window: CallingWindow, customer: Customer, zone: ZoneInfo, at: datetime) -> bool:
    local = at.astimezone(zone)
    if local.date() in window.holidays:
        return False
    second = _seconds(local.time())
    return any(s.start <= second < s.end for s in day_spans(window, customer, local.weekday()))


def is_open(window: CallingWindow, customer: Customer, at: datetime) -> bool:
    """Whether a dial may be placed at the aware instant ``at``."""
    if at.tzinfo is None:
        raise ValueError("is_open needs an aware datetime")
    opened = (_open_in(window, customer, zone, at) for zone in customer.zones)
    return all(opened) if window.zone_policy is ZonePolicy.ALL else any(opened)


def next_opening(
    window: CallingWindow, customer: Customer, at: datetime, horizon_days: int = 400
) -> datetime | None:
    """The first instant at or after ``at`` (UTC) when :func:`is_open` holds.

    None when the window never opens within the horizon (for example a preferred window
    that never overlaps the campaign's hours).
    """
    at = at.astimezone(UTC)
    if is_open(window, customer, at):
        return at
    start, horizon = at, at + timedelta(days=horizon_days)
    while start < horizon:
        end = min(start + _SEARCH_CHUNK, horizon)
        for candidate in sorted(_candidates(window, customer, start, end)):
            if is_open(window, customer, candidate):
                return candidate
        start = end
    return None


def _candidates(
    window: CallingWindow, customer: Customer, start: datetime, end: datetime
) -> set[datetime]:
    """Every instant in [start, end) where the window may switch from closed to open."""
    found: set[datetime] = set()
    for zone in customer.zones:
        found.update(_span_starts(window, customer, zone, start, end))
        found.update(_offset_changes(zone, start, end))
    return {moment for moment in found if start <= moment < end}


def _span_starts(
    window: CallingWindow, customer: Customer, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for span in day_spans(window, customer, day.weekday()):
            wall = datetime.combine(day, _time_of(span.start), tzinfo=zone)
            for fold in (0, 1):  # both readings of a wall time repeated by a DST fold
                yield wall.replace(fold=fold).astimezone(UTC)
        day += timedelta(days=1)


def _time_of(second: int) -> time:
    return time(second // 3600, second % 3600 // 60, second % 60)


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """The UTC instants in [start, end] at which the zone's UTC offset changes."""
    probe = start
    while probe < end:
        following = min(probe + _OFFSET_PROBE, end)
        if probe.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            yield _first_with_offset_of(zone, probe, following)
        probe = following


def _first_with_offset_of(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """Bisect to the first whole second whose offset is the one ``after`` has."""
    target = after.astimezone(zone).utcoffset()
    low = int(before.timestamp())  # offset differs from the target here
    high = int(after.timestamp())  # and equals it here
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
