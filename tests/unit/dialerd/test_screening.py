"""The screen between a claimed phone and its Originate, with a hand-written fake store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from dialerd.config import Campaign, load_campaigns
from dialerd.domain import DncMatch, DuePhone, PhoneType
from dialerd.errors import DialerdError
from dialerd.screening import (
    NEVER_OPENS_RETRY,
    RECHECK_S,
    DialScreen,
    ScreenTally,
    reopens_at,
)
from dialerd.window_settings import CallingWindowSettings

ROOT = Path(__file__).resolve().parents[3]
# Tuesday 2026-12-01 10:00 UTC is 12:00 in Kyiv and 05:00 in New York.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
OFFICE = CallingWindowSettings.model_validate(
    {"hours": {"mon-fri": "09:00-20:00"}, "fallback_time_zone": "Europe/London"}
)


def phone(
    phone_id: int = 1,
    number: str = "+380501234567",
    time_zone: str | None = None,
    call_window: tuple[time, time] | None = None,
) -> DuePhone:
    return DuePhone(
        phone_id=phone_id,
        lead_id=phone_id * 10,
        campaign_id=1,
        number=number,
        phone_type=PhoneType.MOBILE,
        lead_name="",
        time_zone=time_zone,
        attempts=0,
        lead_attempts=0,
        next_phone_id=None,
        lease_until=NOW,
        call_window=call_window,
    )


def test_open_now_in_kyiv_but_not_in_new_york() -> None:
    assert reopens_at(OFFICE, phone(), NOW) is None
    new_yorker = phone(time_zone="America/New_York")
    assert reopens_at(OFFICE, new_yorker, NOW) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_the_leads_preferred_window_narrows_unless_the_campaign_ignores_it() -> None:
    evening = phone(call_window=(time(18, 0), time(21, 0)))
    assert reopens_at(OFFICE, evening, NOW) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    ignoring = OFFICE.model_copy(update={"lead_window": False})
    assert reopens_at(ignoring, evening, NOW) is None


def test_a_window_that_never_opens_is_looked_at_again_in_a_day() -> None:
    night_owl = phone(call_window=(time(22, 0), time(23, 0)))
    assert reopens_at(OFFICE, night_owl, NOW) == NOW + NEVER_OPENS_RETRY


def test_no_window_means_no_restriction() -> None:
    assert reopens_at(None, phone(time_zone="America/New_York"), NOW) is None


ALL = frozenset({"do_not_call_matches", "block_phones", "defer_phones"})


class FakeStore:
    """Just the screening part of the Store; the methods named in `fail` raise."""

    def __init__(self, matches: Sequence[DncMatch] = (), *, fail: frozenset[str] = frozenset()):
        self.matches = list(matches)
        self.fail = fail
        self.blocked: list[tuple[str, list[int]]] = []
        self.deferred: list[tuple[int, datetime]] = []

    def _maybe_fail(self, method: str) -> None:
        if method in self.fail:
            raise DialerdError("database unavailable")

    async def do_not_call_matches(self, *_: Any) -> list[DncMatch]:
        self._maybe_fail("do_not_call_matches")
        return self.matches

    async def block_phones(self, node: str, blocks: Any, now: datetime) -> int:
        self._maybe_fail("block_phones")
        self.blocked.append((node, [p.phone_id for p, _ in blocks]))
        return len(blocks)

    async def defer_phones(self, node: str, phone_ids: Sequence[int], until: datetime) -> int:
        self._maybe_fail("defer_phones")
        self.deferred += [(phone_id, until) for phone_id in phone_ids]
        return len(phone_ids)


async def test_blocked_phones_are_recorded_and_not_returned() -> None:
    store = FakeStore([DncMatch(phone_id=2, entry_id=7, by_lead=False, reason="number x")])
    screen = DialScreen(store, "node-a", StepClock())  # type: ignore[arg-type]
    kept = await screen.drop_blocked(1, [phone(1), phone(2), phone(3)], NOW)
    assert [p.phone_id for p in kept] == [1, 3]
    assert store.blocked == [("node-a", [2])]


async def test_a_failed_check_dials_nobody() -> None:
    screen = DialScreen(FakeStore(fail=ALL), "node-a", StepClock())  # type: ignore[arg-type]
    assert await screen.drop_blocked(1, [phone(1), phone(2)], NOW) == []


async def test_a_failed_block_record_still_keeps_the_blocked_phone_back() -> None:
    match = DncMatch(phone_id=1, entry_id=7, by_lead=True, reason="lead 10")
    store = FakeStore([match], fail=frozenset({"block_phones"}))
    screen = DialScreen(store, "node-a", StepClock())  # type: ignore[arg-type]
    assert await screen.drop_blocked(1, [phone(1), phone(2)], NOW) == [phone(2)]


async def test_a_phone_outside_its_window_is_put_back_until_it_opens() -> None:
    store = FakeStore()
    screen = DialScreen(store, "node-a", StepClock())  # type: ignore[arg-type]
    campaign = _campaign_with(OFFICE)
    assert not await screen.deferred(campaign, phone(1), NOW)
    assert await screen.deferred(campaign, phone(2, time_zone="America/New_York"), NOW)
    assert store.deferred == [(2, datetime(2026, 12, 1, 14, 0, tzinfo=UTC))]
    # Not dialled even when the deferral cannot be written: the lease runs out instead.
    failing = DialScreen(FakeStore(fail=ALL), "node-a", StepClock())  # type: ignore[arg-type]
    assert await failing.deferred(campaign, phone(2, time_zone="America/New_York"), NOW)


async def test_the_tally_counts_what_was_held_back_and_why() -> None:
    store = FakeStore([DncMatch(phone_id=2, entry_id=7, by_lead=False, reason="number x")])
    screen = DialScreen(store, "node-a", StepClock())  # type: ignore[arg-type]
    await screen.drop_blocked(1, [phone(1), phone(2)], NOW)
    await screen.deferred(_campaign_with(OFFICE), phone(3, time_zone="America/New_York"), NOW)
    await screen.deferred(_campaign_with(OFFICE), phone(1), NOW)  # open: not counted
    assert screen.tally == ScreenTally(blocked=1, limited=0, outside_window=1)


def _campaign_with(window: CallingWindowSettings) -> Campaign:
    base = load_campaigns(ROOT / "config" / "examples" / "campaigns")["spring-offer"]
    return base.model_copy(update={"calling_window": window})


def test_the_example_campaign_has_a_valid_calling_window() -> None:
    example = load_campaigns(ROOT / "config" / "examples" / "campaigns")["spring-offer"]
    assert example.calling_window is not None
    assert example.calling_window.fallback_time_zone == "Europe/London"


class StepClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.t)


async def test_a_slow_batch_is_checked_again_before_its_later_dials() -> None:
    store = FakeStore()
    clock = StepClock()
    screen = DialScreen(store, "node-a", clock)  # type: ignore[arg-type]
    dialled = []
    async for due in screen.admitted(1, [phone(1), phone(2), phone(3), phone(4)]):
        dialled.append(due.phone_id)
        if due.phone_id == 1:
            clock.t += 0.1  # a quick dial: the check still holds for the next phone
        elif due.phone_id == 2:
            clock.t += RECHECK_S  # a slow one; meanwhile phone 3's number is listed
            store.matches = [DncMatch(phone_id=3, entry_id=9, by_lead=False, reason="new")]
    assert dialled == [1, 2, 4]
    assert store.blocked == [("node-a", [3])]
