"""Callback requests' pure parts: the check every way in shares, keys, and the dialer's room."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from dialerd.callbacks import (
    CallbackDialer,
    InvalidCallback,
    callback_key,
    parse_ask,
    settled_kind,
)
from dialerd.calltrack import CallState
from dialerd.followups import FollowupKind
from dialerd.inbound_settings import CallbackSettings

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def deadlines(name: str) -> int | None:
    return {"sales": 600}.get(name)


def test_a_lead_id_or_a_phone_makes_a_request() -> None:
    by_id = parse_ask({"campaign": "sales", "lead_id": 7}, "api", deadlines)
    by_phone = parse_ask({"campaign": "sales", "phone": "+380501234567"}, "cli", deadlines)
    assert (by_id.lead_id, by_id.number, by_id.deadline_s, by_id.source) == (7, None, 600, "api")
    assert (by_phone.lead_id, by_phone.number, by_phone.source) == (None, "+380501234567", "cli")


@pytest.mark.parametrize(
    ("body", "field_name", "words"),
    [
        ({"lead_id": 7}, "campaign", "campaign's name"),
        ({"campaign": 3, "lead_id": 7}, "campaign", "campaign's name"),
        ({"campaign": "other", "lead_id": 7}, "campaign", "not running on this daemon"),
        ({"campaign": "sales"}, "lead_id", "exactly one of lead_id and phone"),
        ({"campaign": "sales", "lead_id": 7, "phone": "+380501234567"}, "lead_id", "exactly one"),
        ({"campaign": "sales", "lead_id": "7"}, "lead_id", "not a positive integer"),
        ({"campaign": "sales", "lead_id": True}, "lead_id", "not a positive integer"),
        ({"campaign": "sales", "lead_id": 0}, "lead_id", "not a positive integer"),
        ({"campaign": "sales", "phone": "0501234567"}, "phone", "not an E.164 number"),
        ({"campaign": "sales", "phone": 380501234567}, "phone", "not an E.164 number"),
    ],
)
def test_a_bad_request_names_its_field(body: dict[str, Any], field_name: str, words: str) -> None:
    with pytest.raises(InvalidCallback, match=words) as caught:
        parse_ask(body, "api", deadlines)
    assert caught.value.field == field_name


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(InvalidCallback, match="source"):
        parse_ask({"campaign": "sales", "lead_id": 7}, "ami", deadlines)


def test_keys_are_one_per_request_and_kind() -> None:
    assert callback_key(FollowupKind.CALLBACK_REQUESTED, 12) == "callback_requested:callback-12"
    assert settled_kind(True) is FollowupKind.CALLBACK_DEADLINE_MET
    assert settled_kind(False) is FollowupKind.CALLBACK_MISSED


def test_the_deadline_defaults_to_ten_minutes() -> None:
    assert CallbackSettings().deadline_s == 600


@dataclass
class FakeClaims:
    phones: list[Any] = field(default_factory=list)
    limits: list[int] = field(default_factory=list)

    async def claim(
        self, campaign_id: int, node: str, limit: int, lease_s: float, now: Any, *, agents: Any
    ) -> Any:
        self.limits.append(limit)
        return self.phones[:limit]


class Clock:
    def monotonic(self) -> float:
        return 100.0

    def now(self) -> datetime:
        return T0


@dataclass
class FakeRunner:
    ready: int
    calls: dict[uuid.UUID, Any] = field(default_factory=dict)
    lines_free: int = 40
    dialled: list[Any] = field(default_factory=list)
    campaign_id: int = 1

    @property
    def campaign(self) -> Any:
        return SimpleNamespace(callbacks=CallbackSettings(), lease_s=30.0)

    @property
    def board(self) -> Any:
        return SimpleNamespace(
            ready_count=lambda now: self.ready, ready_names=lambda now: frozenset()
        )

    def situation(self, now: float) -> Any:
        return SimpleNamespace(lines_free=self.lines_free, dials_allowed_now=20)

    async def dial_batch(self, phones: list[Any]) -> None:
        self.dialled.extend(phones)

    @property
    def dials(self) -> int:
        return len(self.dialled)

    def add_call(self, phone_id: int, state: CallState) -> None:
        live = SimpleNamespace(
            phone=SimpleNamespace(phone_id=phone_id), call=SimpleNamespace(state=state)
        )
        self.calls[uuid.uuid4()] = live


def phones(*ids: int) -> list[Any]:
    return [SimpleNamespace(phone_id=i, agent_name="") for i in ids]


async def test_one_callback_dial_per_ready_agent() -> None:
    claims = FakeClaims(phones(1, 2, 3, 4, 5))
    dialer, runner = CallbackDialer(claims, "node-a", Clock()), FakeRunner(ready=3)
    await dialer.dial_round(runner)
    assert claims.limits == [3]
    assert [p.phone_id for p in runner.dialled] == [1, 2, 3]


async def test_a_ringing_callback_keeps_its_agent_and_a_connected_one_frees_the_slot() -> None:
    claims = FakeClaims(phones(9))
    dialer, runner = CallbackDialer(claims, "node-a", Clock()), FakeRunner(ready=2)
    dialer.phones = {1, 2, 3}
    runner.add_call(1, CallState.ORIGINATING)  # awaits an agent
    runner.add_call(2, CallState.CONNECTED)  # has one: counts no more
    # phone 3 has ended: forgotten
    await dialer.dial_round(runner)
    assert claims.limits == [1]
    assert dialer.phones == {1, 2, 9}


@pytest.mark.parametrize(
    ("runner", "why"),
    [
        (FakeRunner(ready=0), "no agent ready"),
        (FakeRunner(ready=3, lines_free=0), "no line free"),
    ],
)
async def test_no_room_no_claim(runner: FakeRunner, why: str) -> None:
    claims = FakeClaims(phones(1))
    await CallbackDialer(claims, "node-a", Clock()).dial_round(runner)
    assert claims.limits == [], why
    assert runner.dialled == []


class TwoLeft:
    """A trunk with room for two more dials."""

    def __init__(self) -> None:
        self.settled: list[tuple[int, int]] = []

    def take(self, member: Any, wanted: int, now: float) -> int:
        return min(wanted, 2)

    def settle(self, member: Any, granted: int, placed: int) -> None:
        self.settled.append((granted, placed))


async def test_callbacks_keep_within_the_shared_trunk_caps() -> None:
    claims, trunk = FakeClaims(phones(1)), TwoLeft()
    runner = FakeRunner(ready=5)
    await CallbackDialer(claims, "node-a", Clock(), trunk).dial_round(runner)
    assert claims.limits == [2]
    assert trunk.settled == [(2, 1)], "one due phone: the other grant is given back"
