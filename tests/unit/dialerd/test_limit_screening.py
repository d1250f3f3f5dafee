"""Attempt limits in the screen between a claimed phone and its Originate (a hand-written fake
store: histories in, deferrals and refused attempts out)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
import structlog

from dialerd.domain import NewAttempt
from dialerd.errors import DialerdError
from dialerd.limits import AttemptHistory, Deferral, LimitReached, Limits, RollingCap, Scope
from dialerd.screening import LIFETIME_RETRY, DialScreen
from tests.unit.dialerd.test_screening import NOW, StepClock, phone

H = timedelta(hours=1)
TWO_AN_HOUR = Limits(rolling=(RollingCap(2, H, Scope.NUMBER),), phone_lifetime=5)


class FakeStore:
    def __init__(self, histories: Sequence[AttemptHistory], refuse: Deferral | None = None):
        self.histories = list(histories)
        self.refuse = refuse
        self.deferred: list[tuple[int, datetime]] = []
        self.written: list[tuple[NewAttempt, Limits | None]] = []
        self.fail = False

    async def attempt_histories(self, *_: Any) -> list[AttemptHistory]:
        if self.fail:
            raise DialerdError("database unavailable")
        return self.histories

    async def do_not_call_matches(self, *_: Any) -> list[Any]:
        return []

    async def defer_phones(self, node: str, phone_ids: Sequence[int], until: datetime) -> int:
        self.deferred += [(phone_id, until) for phone_id in phone_ids]
        return len(phone_ids)

    async def create_attempt(self, attempt: NewAttempt, recheck: Limits | None = None) -> None:
        if self.refuse is not None:
            raise LimitReached(attempt.phone_id, self.refuse)
        self.written.append((attempt, recheck))


def screen_over(store: FakeStore) -> DialScreen:
    return DialScreen(store, "node-a", StepClock())  # type: ignore[arg-type]


def attempt(phone_id: int) -> NewAttempt:
    return NewAttempt(uuid.uuid4(), 1, phone_id * 10, phone_id, "+380501234567", None, 1, "a", NOW)


async def test_phones_over_a_limit_are_put_back_until_allowed_and_the_reason_logged() -> None:
    store = FakeStore(
        [
            AttemptHistory(1, number_times=(NOW - 10 * timedelta(minutes=1),)),
            AttemptHistory(2, number_times=(NOW - 50 * timedelta(minutes=1), NOW - H / 2)),
            AttemptHistory(3, phone_attempts=5),
        ]
    )
    with structlog.testing.capture_logs() as logs:
        kept = [
            p
            async for p in screen_over(store).admitted(
                1, [phone(1), phone(2), phone(3)], TWO_AN_HOUR
            )
        ]
    assert [p.phone_id for p in kept] == [1]
    assert store.deferred == [(2, NOW + 10 * timedelta(minutes=1)), (3, NOW + LIFETIME_RETRY)]
    reasons = [(e["phone_id"], e["reason"]) for e in logs if e["event"] == "dial_deferred"]
    assert reasons == [
        (2, "2 calls per 1 h to the number reached"),
        (3, "5 attempts on this phone: lifetime cap 5 reached"),
    ]


async def test_without_limits_no_history_is_read_and_a_failed_read_dials_nobody() -> None:
    store = FakeStore([])
    store.fail = True
    assert [p async for p in screen_over(store).admitted(1, [phone(1)])] == [phone(1)]
    assert [p async for p in screen_over(store).admitted(1, [phone(1)], TWO_AN_HOUR)] == []


async def test_a_phone_whose_history_did_not_come_back_is_not_dialled() -> None:
    store = FakeStore([AttemptHistory(2)])
    kept = [p async for p in screen_over(store).admitted(1, [phone(1), phone(2)], TWO_AN_HOUR)]
    assert kept == [phone(2)]
    assert store.deferred == []


async def test_the_attempt_is_written_with_the_number_limits_to_recheck() -> None:
    store = FakeStore([])
    await screen_over(store).write_attempt(attempt(1), TWO_AN_HOUR)
    await screen_over(store).write_attempt(attempt(2), Limits(phone_lifetime=3))
    assert [recheck for _, recheck in store.written] == [TWO_AN_HOUR, None]


async def test_an_attempt_refused_under_the_lock_is_put_back_until_allowed() -> None:
    store = FakeStore([], refuse=Deferral(NOW + H, "2 calls per 1 h to the number reached"))
    with pytest.raises(LimitReached):
        await screen_over(store).write_attempt(attempt(4), TWO_AN_HOUR)
    assert store.deferred == [(4, NOW + H)]
