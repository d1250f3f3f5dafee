"""Dispositions: the check every way in shares, and the recorder the AMI pump feeds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from ami import Event
from dialerd.dispositions import (
    DispositionRecorder,
    InvalidDisposition,
    from_user_event,
    is_disposition,
    parse_disposition,
)
from dialerd.domain import Disposition, RecordedDisposition
from dialerd.storage import StorageUnavailable
from dialerd.storage.dispositions import UnknownAttempt

ATTEMPT = uuid.UUID("0b7e6f2a-4f7c-4a57-9d0e-0c3f3a1d2e11")


def user_event(**headers: str) -> Event:
    return Event({"Event": "UserEvent", "UserEvent": "DialerdDisposition", **headers})


def test_codes_are_stored_lower_case_and_blank_agents_are_none() -> None:
    parsed = parse_disposition(f" {ATTEMPT} ", " Not_Interested ", "  ", None, "cli")
    assert parsed == Disposition(ATTEMPT, "not_interested", None, "", "cli")


@pytest.mark.parametrize(
    ("attempt", "code", "message"),
    [
        ("1234", "sale", "attempt id '1234' is not a UUID"),
        (str(ATTEMPT), "sale!", "disposition 'sale!': use letters"),
        (str(ATTEMPT), "", "disposition '': use letters"),
        (str(ATTEMPT), "x" * 41, "up to 40 characters"),
    ],
)
def test_bad_input_says_what_is_wrong(attempt: str, code: str, message: str) -> None:
    with pytest.raises(InvalidDisposition, match=message):
        parse_disposition(attempt, code, None, None, "cli")


def test_the_user_event_carries_attempt_code_agent_and_note() -> None:
    event = user_event(Attempt=str(ATTEMPT), Disposition="SALE", Agent="agent03", Note="paid")
    assert is_disposition(event)
    assert from_user_event(event) == Disposition(ATTEMPT, "sale", "agent03", "paid", "ami")
    other = Event({"Event": "UserEvent", "UserEvent": "DialerdAnswered", "Attempt": "x"})
    assert not is_disposition(other)
    with pytest.raises(InvalidDisposition, match="needs an Attempt and a Disposition"):
        from_user_event(user_event(Attempt=str(ATTEMPT)))


class FakeLog:
    """Fails the first `outages` writes as PostgreSQL being away; knows one attempt; sets
    `full` once it holds `expect` dispositions."""

    def __init__(self, expect: int, outages: int = 0) -> None:
        self.expect = expect
        self.outages = outages
        self.stored: list[Disposition] = []
        self.full = asyncio.Event()

    async def record(self, disposition: Disposition) -> RecordedDisposition:
        if self.outages:
            self.outages -= 1
            raise StorageUnavailable("connection refused")
        if disposition.attempt_id != ATTEMPT:
            raise UnknownAttempt(disposition.attempt_id)
        self.stored.append(disposition)
        if len(self.stored) >= self.expect:
            self.full.set()
        return RecordedDisposition(len(self.stored), disposition, datetime.now(UTC))


async def run_until_full(recorder: DispositionRecorder, store: FakeLog) -> None:
    task = asyncio.create_task(recorder.run())
    try:
        await asyncio.wait_for(store.full.wait(), 5)
    finally:
        task.cancel()


async def test_recorder_retries_an_outage_and_keeps_the_order() -> None:
    store = FakeLog(expect=2, outages=2)
    recorder = DispositionRecorder(store, max_backoff_s=0.01)
    recorder.offer(user_event(Attempt=str(ATTEMPT), Disposition="callback"))
    recorder.offer(user_event(Attempt=str(ATTEMPT), Disposition="sale"))
    await run_until_full(recorder, store)
    assert [d.code for d in store.stored] == ["callback", "sale"]


async def test_recorder_refuses_bad_events_and_unknown_attempts_and_goes_on() -> None:
    store = FakeLog(expect=1)
    recorder = DispositionRecorder(store)
    recorder.offer(user_event(Attempt="nonsense", Disposition="sale"))
    recorder.offer(user_event(Attempt=str(uuid.uuid4()), Disposition="sale"))
    recorder.offer(user_event(Attempt=str(ATTEMPT), Disposition="sale"))
    await run_until_full(recorder, store)
    assert (recorder.rejected, recorder.recorded) == (2, 1)
    assert [d.attempt_id for d in store.stored] == [ATTEMPT]
