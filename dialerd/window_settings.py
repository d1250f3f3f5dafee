"""The `calling_window` key of a campaign file, validated, and turned into a CallingWindow.

Kept apart from dialerd.config so the campaign model gains one field, not a page of code.
Times are text (`"09:00-20:00"`): YAML 1.1 would read an unquoted 09:00 as a number, and
either way the admin gets `file:line: calling_window.hours.mon-fri: ...` for a bad one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from dialerd.windows import CallingWindow, Span, ZonePolicy

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_DAY_KEY = re.compile(r"([a-z]{3})(?:-([a-z]{3}))?")


def _weekdays(key: str) -> tuple[int, ...]:
    """`mon-fri` → (0, 1, 2, 3, 4); `sat` → (5,)."""
    match = _DAY_KEY.fullmatch(key)
    if match is None or not set(filter(None, match.groups())) <= set(DAYS):
        raise ValueError(f"{key!r} is not a day or a range of days (mon, tue, ..., mon-fri)")
    first = DAYS.index(match[1])
    last = DAYS.index(match[2]) if match[2] else first
    if last < first:
        raise ValueError(f"{key!r}: a range of days runs forward within one week, e.g. mon-fri")
    return tuple(range(first, last + 1))


def _day_key(key: str) -> str:
    _weekdays(key)  # raises for anything but a day or a range of days
    return key


def _span(text: str) -> Span:
    match = _RANGE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r}: expected HH:MM-HH:MM, e.g. 09:00-20:00")
    sh, sm, eh, em = map(int, match.groups())
    if sh > 23 or eh > 24 or sm > 59 or em > 59 or (eh == 24 and em > 0):
        raise ValueError(f"{text!r}: not a time of day (00:00 to 24:00)")
    start, end = sh * 3600 + sm * 60, eh * 3600 + em * 60
    if end <= start:
        raise ValueError(
            f"{text!r}: the end must be after the start (use 24:00 for midnight; "
            "a window over midnight is two entries, e.g. fri and sat)"
        )
    return Span(start, end)


def _spans(value: object) -> tuple[Span, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ValueError('expected "HH:MM-HH:MM" or a list of them')
    spans = sorted(map(_span, items), key=lambda span: span.start)
    for earlier, later in itertools.pairwise(spans):
        if later.start < earlier.end:
            raise ValueError("the time ranges of one day overlap")
    return tuple(spans)


def _zone_name(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a known IANA time zone (e.g. Europe/Kyiv)") from exc
    return name


def _holiday(value: object) -> date:
    # ruamel.yaml reads an unquoted 2026-12-25 as a date; a quoted one arrives as text.
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


# What the file holds, for the JSON schema; the validators above give the messages.
_DAY = "(mon|tue|wed|thu|fri|sat|sun)"
_SPAN_TEXT = {"type": "string", "pattern": r"^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$"}
_DAY_SPANS_SCHEMA = {"anyOf": [_SPAN_TEXT, {"type": "array", "items": _SPAN_TEXT}]}

DayKey = Annotated[
    str,
    AfterValidator(_day_key),
    WithJsonSchema({"type": "string", "pattern": f"^{_DAY}(-{_DAY})?$"}),
]
DaySpans = Annotated[tuple[Span, ...], BeforeValidator(_spans), WithJsonSchema(_DAY_SPANS_SCHEMA)]
Holiday = Annotated[date, BeforeValidator(_holiday)]
ZoneName = Annotated[str, AfterValidator(_zone_name)]


class CallingWindowSettings(BaseModel):
    """When customers may be called, in their local time; days not listed: no calls."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    hours: Annotated[
        dict[DayKey, DaySpans],
        Field(min_length=1, json_schema_extra={"additionalProperties": False}),
    ]
    holidays: list[Holiday] = []
    # Strict mode takes an enum only as its member; the file holds its text value.
    several_zones: Annotated[ZonePolicy, Field(strict=False)] = ZonePolicy.ALL
    fallback_time_zone: ZoneName
    lead_window: bool = True

    @model_validator(mode="after")
    def _each_day_once(self) -> Self:
        check_each_day_once(self.hours)
        return self

    def window(self) -> CallingWindow:
        return CallingWindow(
            weekly=weekly_spans(self.hours),
            holidays=frozenset(self.holidays),
            zone_policy=self.several_zones,
        )


def check_each_day_once(hours: Mapping[str, object]) -> None:
    """Raise unless every weekday is named by at most one key of ``hours``."""
    seen: dict[int, str] = {}
    for key in hours:
        for day in _weekdays(key):
            if day in seen:
                raise ValueError(f"hours: {DAYS[day]} is in both {seen[day]!r} and {key!r}")
            seen[day] = key


def weekly_spans(hours: Mapping[str, tuple[Span, ...]]) -> tuple[tuple[Span, ...], ...]:
    """The spans of each weekday (0 = Monday) that ``hours`` gives; days not named: none."""
    weekly: list[tuple[Span, ...]] = [() for _ in DAYS]
    for key, spans in hours.items():
        for day in _weekdays(key):
            weekly[day] = spans
    return tuple(weekly)


__all__ = ["DAYS", "CallingWindowSettings", "check_each_day_once", "weekly_spans"]
