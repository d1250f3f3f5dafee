"""Calls to pool numbers: who the caller is, where the call goes, what the desk does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ami import Event
from dialerd.config import Campaign
from dialerd.dnc_rows import DncRequest
from dialerd.inbound import (
    CallerMatch,
    InboundOutcome,
    Route,
    RouteKind,
    callback_time,
    caller_number,
    caller_zone,
    choose_route,
    chosen_time,
    route_variables,
)
from dialerd.inbound_desk import InboundDesk
from dialerd.inbound_settings import InboundSettings
from dialerd.storage import StorageUnavailable
from dialerd.storage.inbound import InboundCall

POOL_X = "+442079460011"
CUSTOMER = "+447911123456"
ATTEMPT = uuid.UUID("0b7e6f2a-4f7c-4a57-9d0e-0c3f3a1d2e11")
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SUNDAY_NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MATCH = CallerMatch(7, "Olena\nKovalenko", "L1", "sales", 3, ATTEMPT, 2)


def campaign(**callbacks: object) -> Campaign:
    return Campaign.model_validate(
        {
            "name": "sales",
            "queue": "sales-q",
            "region": "GB",
            "dial": {"trunk": "PJSIP/{number}@trunk"},
            "callbacks": {"business_name": "Acme Energy", **callbacks},
        }
    )


HOURS = {"time_zone": "Europe/London", "hours": {"mon-fri": "09:00-18:00"}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07911 123456", CUSTOMER),  # national, read as the pool number's country (GB)
        ("447911123456", CUSTOMER),
        ("+447911123456", CUSTOMER),
        ("00447911123456", CUSTOMER),
        ("+380501234567", "+380501234567"),
        ("anonymous", None),
        ("", None),
        ("123", None),
    ],
)
def test_the_caller_number_becomes_e164_in_the_called_numbers_country(
    raw: str, expected: str | None
) -> None:
    assert caller_number(raw, POOL_X) == expected


def test_a_known_caller_reaches_the_campaign_queue_while_agents_are_in() -> None:
    route = choose_route(MATCH, {"sales": campaign()}, {"sales": 2}, InboundSettings(), MONDAY_NOON)
    assert (route.kind, route.queue, route.business) == (RouteKind.QUEUE, "sales-q", "Acme Energy")


@pytest.mark.parametrize(
    ("agents", "at", "reason"),
    [
        (0, MONDAY_NOON, "no agent logged in"),
        (3, SUNDAY_NOON, "outside agent hours"),
    ],
)
def test_a_known_caller_hears_the_campaign_message_when_nobody_can_answer(
    agents: int, at: datetime, reason: str
) -> None:
    sales = campaign(agent_hours=HOURS, message="custom/acme-closed")
    route = choose_route(MATCH, {"sales": sales}, {"sales": agents}, InboundSettings(), at)
    assert (route.kind, route.reason, route.message) == (
        RouteKind.MESSAGE,
        reason,
        "custom/acme-closed",
    )


def test_unknown_callers_get_the_default_queue_or_message() -> None:
    to_queue = InboundSettings.model_validate({"unknown": {"queue": "reception"}})
    queued = choose_route(None, {}, {}, to_queue, MONDAY_NOON)
    message = choose_route(None, {}, {}, InboundSettings(), MONDAY_NOON)
    gone = choose_route(MATCH, {}, {}, InboundSettings(), MONDAY_NOON)  # campaign removed
    assert (queued.kind, queued.queue) == (RouteKind.QUEUE, "reception")
    assert (message.kind, message.message) == (RouteKind.MESSAGE, "vm-nobodyavail")
    assert (gone.kind, gone.reason) == (RouteKind.MESSAGE, "campaign sales not configured")


def test_the_route_variables_end_with_the_route_and_the_lead_is_inherited() -> None:
    route = Route(RouteKind.QUEUE, "agents in", "Acme", "m", "sales-q", 60)
    variables = route_variables(route, MATCH, 41, InboundSettings())
    assert variables[-1] == ("DIALERD_ROUTE", "queue")
    as_dict = dict(variables)
    assert as_dict["__DIALERD_LEAD_NAME"] == "Olena%0AKovalenko"  # one line, percent-encoded
    assert as_dict["__DIALERD_ATTEMPT"] == str(ATTEMPT)
    assert (as_dict["DIALERD_QUEUE"], as_dict["DIALERD_OPT_OUT_KEY"]) == ("sales-q", "9")


def test_agent_hours_and_keys_are_checked_in_the_file() -> None:
    with pytest.raises(ValueError, match="opt_out_key"):
        InboundSettings.model_validate({"opt_out_key": "99"})
    with pytest.raises(ValueError, match="must be different keys"):
        InboundSettings.model_validate({"opt_out_key": "1"})
    with pytest.raises(ValueError, match="business_name"):
        campaign(business_name="Acme, Ltd")  # a comma would split dialplan arguments


# ---- the desk, with hand-written fakes ------------------------------------------------


class FakeLog:
    def __init__(self, match: CallerMatch | None) -> None:
        self.match = match
        self.recorded: list[tuple[InboundCall, Route]] = []
        self.finished: list[tuple[int, InboundOutcome | None, str | None]] = []
        self.booked: list[tuple[int, int, str, datetime]] = []

    async def find_caller(self, number: str, called: str) -> CallerMatch | None:
        return self.match if number == CUSTOMER else None

    async def record(self, call: InboundCall, match: CallerMatch | None, route: Route) -> int:
        self.recorded.append((call, route))
        return 41

    async def schedule_callback(
        self, lead_id: int, campaign_id: int, number: str, at: datetime
    ) -> str | None:
        self.booked.append((lead_id, campaign_id, number, at))
        return None

    async def finish(
        self,
        inbound_id: int,
        outcome: InboundOutcome | None,
        agent: str | None,
        ended_at: datetime | None,
    ) -> bool:
        self.finished.append((inbound_id, outcome, agent))
        return True


class FlakyDnc:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.added: list[DncRequest] = []

    async def add(self, campaign: str | None, requests: Sequence[DncRequest]) -> int:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable("database away")
        self.added.extend(requests)
        return len(requests)


class Channels:
    def __init__(self) -> None:
        self.set: list[tuple[str, str, str]] = []

    async def set_variables(self, channel: str, variables: Sequence[tuple[str, str]]) -> None:
        self.set.extend((channel, name, value) for name, value in variables)


class Affinity:
    def __init__(self) -> None:
        self.answers: list[tuple[str, str]] = []

    async def record_answer(self, customer_id: str, number: str) -> None:
        self.answers.append((customer_id, number))


def desk(log: FakeLog, dnc: FlakyDnc, channels: Channels, affinity: Affinity) -> InboundDesk:
    return InboundDesk(
        log,
        dnc,
        channels,
        affinity=affinity,
        world=lambda: ({"sales": campaign()}, {"sales": 1}),
        settings=InboundSettings(),
        node="node-a",
        now=lambda: MONDAY_NOON,
    )


def event(kind: str, **headers: str) -> Event:
    return Event({"Event": "UserEvent", "UserEvent": kind, "Channel": "Local/x;2", **headers})


async def run_until(condition: object, work: InboundDesk) -> None:
    task = asyncio.create_task(work.run())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if condition():  # type: ignore[operator]
            break
    task.cancel()


async def test_a_routed_call_is_recorded_taught_to_affinity_and_answered_last() -> None:
    log, channels, affinity = FakeLog(MATCH), Channels(), Affinity()
    work = desk(log, FlakyDnc(0), channels, affinity)
    headers = {"Uniqueid": "17.1", "Called": POOL_X, "Caller": "07911123456"}
    work.offer(event("DialerdInbound", **headers))
    work.offer(Event({"Event": "AgentConnect", "Uniqueid": "17.1", "MemberName": "agent03"}))
    await run_until(lambda: affinity.answers and log.finished, work)
    work.offer(event("DialerdInboundEnded", Uniqueid="17.1", Inbound="41", Outcome="queued"))
    await run_until(lambda: len(log.finished) == 2, work)
    (call, route), = log.recorded  # fmt: skip
    assert (call.caller, call.called, route.queue) == (CUSTOMER, POOL_X, "sales-q")
    assert channels.set[-1] == ("Local/x;2", "DIALERD_ROUTE", "queue")
    assert affinity.answers == [("7", POOL_X)]  # this customer calls back to this number
    assert log.finished == [
        (41, InboundOutcome.ANSWERED, "agent03"),
        (41, InboundOutcome.ANSWERED, "agent03"),
    ]


async def test_an_opt_out_is_written_even_when_the_database_is_away_at_first() -> None:
    log, dnc, channels = FakeLog(MATCH), FlakyDnc(failures=2), Channels()
    work = desk(log, dnc, channels, Affinity())
    work.offer(event("DialerdOptOut", Inbound="41", Called=POOL_X, Caller=CUSTOMER))
    await run_until(lambda: dnc.added and channels.set, work)
    assert [r.number for r in dnc.added] == [CUSTOMER]
    assert channels.set == [("Local/x;2", "DIALERD_OPTED_OUT", "1")]
    assert log.finished == [(41, InboundOutcome.OPTED_OUT, None)]


async def test_a_caller_who_hangs_up_before_the_route_keeps_the_routed_outcome() -> None:
    log = FakeLog(None)
    work = desk(log, FlakyDnc(0), Channels(), Affinity())
    work.offer(event("DialerdInbound", Uniqueid="18.1", Called=POOL_X, Caller="anonymous"))
    await run_until(lambda: log.recorded, work)
    work.offer(event("DialerdInboundEnded", Uniqueid="18.1", Inbound="", Outcome=""))
    await run_until(lambda: log.finished, work)
    (call, route), = log.recorded  # fmt: skip
    assert (call.caller, route.reason) == (None, "unknown caller")
    assert log.finished == [(41, None, None)]  # ended, outcome as routed (message)


@pytest.mark.parametrize(
    ("callbacks", "expected"),
    [
        ({}, SUNDAY_NOON),  # no agent hours: at once
        ({"callback_delay_s": 600}, datetime(2026, 11, 29, 12, 10, tzinfo=UTC)),
        ({"agent_hours": HOURS}, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),  # Monday 09:00
    ],
)
def test_a_callback_is_due_at_the_next_opening_after_the_delay(
    callbacks: dict[str, object], expected: datetime
) -> None:
    assert callback_time(campaign(**callbacks), SUNDAY_NOON) == expected


KYIV = ZoneInfo("Europe/Kyiv")


@pytest.mark.parametrize(
    ("digits", "now", "expected"),
    [
        ("1430", MONDAY_NOON, datetime(2026, 11, 30, 12, 30, tzinfo=UTC)),  # 14:30 Kyiv, today
        ("1000", MONDAY_NOON, datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),  # past: tomorrow's
        ("1400", MONDAY_NOON, datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),  # now exactly: tomorrow
        # 03:30 does not exist in Kyiv on 2027-03-28 (clocks go 03:00 -> 04:00): the next day's
        (
            "0330",
            datetime(2027, 3, 27, 12, 0, tzinfo=UTC),
            datetime(2027, 3, 29, 0, 30, tzinfo=UTC),
        ),
        ("2599", MONDAY_NOON, None),
        ("1260", MONDAY_NOON, None),
        ("143", MONDAY_NOON, None),
        ("", MONDAY_NOON, None),
        ("14*0", MONDAY_NOON, None),
    ],
)
def test_a_callers_hhmm_is_the_next_such_moment_on_their_clock(
    digits: str, now: datetime, expected: datetime | None
) -> None:
    assert chosen_time(digits, KYIV, now) == expected


def test_a_chosen_time_is_read_in_the_callers_zone_and_kept_inside_agent_hours() -> None:
    hours = campaign(agent_hours=HOURS)  # Mon-Fri 09:00-18:00 London
    zone = caller_zone(hours, "+380501234567")
    assert zone == KYIV
    chosen = chosen_time("1900", zone, MONDAY_NOON)  # 17:00 London: inside the hours
    assert callback_time(hours, MONDAY_NOON, chosen) == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    late = chosen_time("2300", zone, MONDAY_NOON)  # 21:00 London: the next opening after it
    assert callback_time(hours, MONDAY_NOON, late) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert caller_zone(hours, "anonymous") == ZoneInfo("Europe/London")  # the hours' zone


async def test_a_callback_at_a_chosen_time_is_booked_for_it() -> None:
    log, channels = FakeLog(MATCH), Channels()
    work = desk(log, FlakyDnc(0), channels, Affinity())
    work.offer(
        event("DialerdCallbackRequest", Inbound="41", Called=POOL_X, Caller=CUSTOMER, At="1530")
    )
    await run_until(lambda: len(channels.set) == 1, work)
    assert log.booked == [(7, 3, CUSTOMER, datetime(2026, 11, 30, 15, 30, tzinfo=UTC))]


async def test_the_callback_key_books_the_callers_phone_and_says_so() -> None:
    log, channels = FakeLog(MATCH), Channels()
    work = desk(log, FlakyDnc(0), channels, Affinity())
    work.offer(event("DialerdCallbackRequest", Inbound="41", Called=POOL_X, Caller=CUSTOMER))
    work.offer(event("DialerdCallbackRequest", Inbound="42", Called=POOL_X, Caller="anonymous"))
    await run_until(lambda: len(channels.set) == 2, work)
    assert log.booked == [(7, 3, CUSTOMER, MONDAY_NOON)]
    assert log.finished == [(41, InboundOutcome.CALLBACK_REQUESTED, None)]
    assert sorted(channels.set) == [
        ("Local/x;2", "DIALERD_CALLBACK_SET", "0"),  # an unknown caller cannot be booked
        ("Local/x;2", "DIALERD_CALLBACK_SET", "1"),
    ]
