"""The `calling_window` campaign key: what an admin writes, and the file:line of each mistake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dialerd.config import load_campaigns
from dialerd.errors import ConfigError
from dialerd.windows import Span, ZonePolicy

HEAD = """\
name: spring
queue: sales
region: UA
dial: {trunk: "Local/{number}@out"}
"""
H = 3600


def load(tmp_path: Path, window: str) -> list[str]:
    (tmp_path / "spring.yaml").write_text(HEAD + window)
    try:
        load_campaigns(tmp_path)
    except ConfigError as exc:
        return [str(problem) for problem in exc.problems]
    return []


def test_a_full_window_becomes_weekday_spans_holidays_and_policy(tmp_path: Path) -> None:
    (tmp_path / "spring.yaml").write_text(
        HEAD
        + """\
calling_window:
  hours:
    mon-fri: "09:00-20:00"
    sat: ["10:00-13:00", "14:00-16:00"]
  holidays: [2026-12-25, "2027-01-01"]
  several_zones: any
  fallback_time_zone: Europe/Kyiv
"""
    )
    settings = load_campaigns(tmp_path)["spring"].calling_window
    assert settings is not None
    assert settings.lead_window
    window = settings.window()
    assert window.weekly[:5] == ((Span(9 * H, 20 * H),),) * 5
    assert window.weekly[5] == (Span(10 * H, 13 * H), Span(14 * H, 16 * H))
    assert window.weekly[6] == ()
    assert window.holidays == {date(2026, 12, 25), date(2027, 1, 1)}
    assert window.zone_policy is ZonePolicy.ANY


def test_without_the_key_there_is_no_restriction(tmp_path: Path) -> None:
    (tmp_path / "spring.yaml").write_text(HEAD)
    assert load_campaigns(tmp_path)["spring"].calling_window is None


BAD = {
    "bad time zone": (
        'calling_window:\n  hours: {mon: "09:00-20:00"}\n  fallback_time_zone: Europe/Kiev2\n',
        "spring.yaml:7:3: calling_window.fallback_time_zone: 'Europe/Kiev2' is not a known IANA",
    ),
    "bad time": (
        'calling_window:\n  hours:\n    sat: "10:00-25:00"\n  fallback_time_zone: UTC\n',
        "spring.yaml:7:5: calling_window.hours.sat: '10:00-25:00': not a time of day",
    ),
    "end before start": (
        'calling_window:\n  hours:\n    sun: "20:00-09:00"\n  fallback_time_zone: UTC\n',
        "spring.yaml:7:5: calling_window.hours.sun: '20:00-09:00': the end must be after",
    ),
    "bad day": (
        'calling_window:\n  hours:\n    mon-fry: "09:00-20:00"\n  fallback_time_zone: UTC\n',
        "spring.yaml:7:5: calling_window.hours.mon-fry.[key]: 'mon-fry' is not a day",
    ),
    "day twice": (
        'calling_window:\n  hours:\n    mon-fri: "09:00-20:00"\n    fri: "09:00-12:00"\n'
        "  fallback_time_zone: UTC\n",
        "spring.yaml:5:1: calling_window: hours: fri is in both 'mon-fri' and 'fri'",
    ),
    "impossible holiday": (
        'calling_window:\n  hours: {mon: "09:00-20:00"}\n  holidays: [2026-13-01]\n'
        "  fallback_time_zone: UTC\n",
        "spring.yaml:7:14: '2026-13-01' is not a valid date",
    ),
    "unknown key": (
        'calling_window:\n  hours: {mon: "09:00-20:00"}\n  fallback_time_zone: UTC\n'
        "  lead_windw: true\n",
        "spring.yaml:8:3: calling_window.lead_windw: unknown key",
    ),
    "bad policy": (
        'calling_window:\n  hours: {mon: "09:00-20:00"}\n  fallback_time_zone: UTC\n'
        "  several_zones: most\n",
        "spring.yaml:8:3: calling_window.several_zones: Input should be 'all' or 'any'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_mistake_is_reported_at_its_line(tmp_path: Path, case: str) -> None:
    window, expected = BAD[case]
    problems = load(tmp_path, window)
    assert len(problems) == 1, problems
    assert problems[0].startswith(str(tmp_path / expected.split(":", 1)[0]) + ":"), problems
    assert expected.split(":", 1)[1] in problems[0], problems
