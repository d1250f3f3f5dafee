"""The AMI client against the lab's real Asterisk 22."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from ami import (
    AmiClient,
    AuthenticationFailed,
    ConnectionLost,
    ConnectionStateChanged,
    Event,
    EventStream,
)
from tests.integration.lab import Lab

ALWAYS_ANSWERS = "+447700900001"
ALWAYS_BUSY = "+447700900002"
NEVER_ANSWERS = "+447700900003"
CONGESTION = "+447700900004"


@pytest.fixture
async def client(lab: Lab) -> AsyncIterator[AmiClient]:
    ami = AmiClient(lab.ami_settings(ping_interval_s=1.0, ping_timeout_s=1.0, reconnect_max_s=1.0))
    await ami.start(wait_s=10)
    try:
        yield ami
    finally:
        await ami.close()


async def next_event(stream: EventStream, name: str, *, timeout_s: float, **match: str) -> Event:
    """The next event called `name` whose headers include `match`."""

    async def scan() -> Event:
        async for item in stream:
            if (
                isinstance(item, Event)
                and item.name == name
                and all(item.get(key) == value for key, value in match.items())
            ):
                return item
        raise AssertionError(f"event stream ended before {name} {match}")

    return await asyncio.wait_for(scan(), timeout_s)


async def test_login_and_ping(client: AmiClient) -> None:
    assert client.connected
    assert (client.greeting or "").startswith("Asterisk Call Manager/")
    response = await client.send_action("Ping")
    assert response.ok
    assert response.get("Ping") == "Pong"


async def test_wrong_secret_is_a_clear_error_not_a_retry_loop(lab: Lab) -> None:
    ami = AmiClient(lab.ami_settings(secret="not-the-secret"))
    started = time.monotonic()
    with pytest.raises(AuthenticationFailed):
        await ami.start(wait_s=10)
    assert time.monotonic() - started < 5
    assert not ami.connected
    await ami.close()


async def originate(client: AmiClient, number: str, lab: Lab, *, timeout_ms: int) -> str:
    action_id_var = f"LABTEST={uuid.uuid4().hex}"
    response = await client.send_action(
        "Originate",
        {
            "Channel": f"Local/{number}@{lab.customer_context}",
            "Application": "Wait",
            "Data": "1",
            "Async": "true",
            "Timeout": str(timeout_ms),
            "Variable": action_id_var,
        },
    )
    response.raise_for_error()
    assert response.action_id is not None
    return response.action_id


@pytest.mark.parametrize(
    ("number", "reason"),
    [(ALWAYS_ANSWERS, "4"), (ALWAYS_BUSY, "5"), (NEVER_ANSWERS, "3"), (CONGESTION, "8")],
)
async def test_originate_gives_asterisk_reason_codes(
    client: AmiClient, lab: Lab, number: str, reason: str
) -> None:
    async with client.events() as stream:
        action_id = await originate(client, number, lab, timeout_ms=9000)
        event = await next_event(stream, "OriginateResponse", timeout_s=20, ActionID=action_id)
    assert event.get("Reason") == reason
    assert event.get("Response") == ("Success" if reason == "4" else "Failure")


async def test_queue_status_lists_the_simulated_agents(client: AmiClient, lab: Lab) -> None:
    result = await client.send_list_action("QueueStatus", {"Queue": lab.queue})
    assert result.response.ok
    members = [e for e in result.events if e.name == "QueueMember"]
    assert len(members) == lab.agents
    assert {m.get("Queue") for m in members} == {lab.queue}


async def test_answered_call_reaches_an_agent_through_the_dialplan_snippet(
    client: AmiClient, lab: Lab
) -> None:
    attempt = uuid.uuid4().hex
    async with client.events() as stream:
        response = await client.send_action(
            "Originate",
            {
                "Channel": f"Local/{ALWAYS_ANSWERS}@{lab.customer_context}",
                "Context": "dialerd-connect",
                "Exten": "s",
                "Priority": "1",
                "Async": "true",
                "Timeout": "15000",
                "Variable": [f"DIALERD_ATTEMPT={attempt}", f"DIALERD_QUEUE={lab.queue}"],
            },
        )
        response.raise_for_error()
        answered = await next_event(stream, "UserEvent", timeout_s=20, Attempt=attempt)
        connect = await next_event(
            stream, "AgentConnect", timeout_s=10, Channel=answered.get("Channel") or ""
        )
        complete = await next_event(
            stream, "AgentComplete", timeout_s=30, Channel=answered.get("Channel") or ""
        )
    assert answered.get("UserEvent") == "DialerdAnswered"
    assert (connect.get("MemberName") or "").startswith("agent")
    assert complete.get("MemberName") == connect.get("MemberName")
    assert int(complete.get("TalkTime") or "0") >= 1


async def test_asterisk_restart_fails_in_flight_action_fast_and_never_resends(
    client: AmiClient, lab: Lab
) -> None:
    marker = uuid.uuid4().hex
    # A synchronous Originate stays in flight until the 60 s ring timeout. Asterisk
    # crashes (SIGKILL: it can send no answer): the client must fail the action at once,
    # not after a minute, reconnect to the restarted Asterisk, and never re-send it.
    in_flight = asyncio.create_task(
        client.send_action(
            "Originate",
            {
                "Channel": f"Local/{NEVER_ANSWERS}@{lab.customer_context}",
                "Application": "Wait",
                "Data": "1",
                "Timeout": "60000",
                "Variable": f"LABTEST={marker}",
            },
            timeout_s=90,
        )
    )
    async with client.events() as stream:
        await asyncio.sleep(1.0)
        started = time.monotonic()
        await lab.restart_asterisk(hard=True)
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(in_flight, 10)
        assert time.monotonic() - started < 15
        states = await collect_states(stream, want=(False, True), timeout_s=20)
    assert states == [False, True]
    assert client.reconnects >= 1
    # Nothing re-sent: after the reconnect, Asterisk holds no channel for that call.
    await asyncio.sleep(2.0)
    channels = await client.send_list_action("CoreShowChannels")
    assert not [e for e in channels.events if NEVER_ANSWERS in (e.get("Channel") or "")]


async def test_after_a_crash_the_queue_is_known_once_asterisk_has_fully_booted(lab: Lab) -> None:
    # Asterisk takes logins before it loads app_queue: a QueueStatus sent at once may be
    # "Invalid/unknown command". A client that reconnects as fast as it can meets that window.
    settings = lab.ami_settings(reconnect_min_s=0.02, reconnect_max_s=0.05)
    async with AmiClient(settings) as ami, ami.events() as stream:
        await lab.restart_asterisk(hard=True)
        await collect_states(stream, want=(False, True), timeout_s=30)
        booted_at_login = ami.fully_booted
        assert await ami.wait_fully_booted(30)
        result = await ami.send_list_action("QueueStatus", {"Queue": lab.queue})
    print(f"logged in while Asterisk was still booting: {not booted_at_login}")
    assert result.response.ok
    assert len([e for e in result.events if e.name == "QueueMember"]) == lab.agents


async def collect_states(
    stream: EventStream, *, want: tuple[bool, ...], timeout_s: float
) -> list[bool]:
    states: list[bool] = []

    async def scan() -> None:
        async for item in stream:
            if isinstance(item, ConnectionStateChanged):
                states.append(item.connected)
                if tuple(states[-len(want) :]) == want:
                    return

    await asyncio.wait_for(scan(), timeout_s)
    return states


async def test_a_filtered_session_gets_only_its_events_and_every_reply(lab: Lab) -> None:
    """With AmiSettings.events, Asterisk sends the named events only, while the replies to
    list actions (CoreShowChannel, which the daemon's resynchronisation reads) still come."""
    wanted = frozenset({"OriginateResponse", "Hangup"})
    ami = AmiClient(lab.ami_settings(events=wanted))
    seen: list[Event] = []
    responded = asyncio.Event()

    async def collect(stream: EventStream) -> None:
        async for item in stream:
            if isinstance(item, Event):
                seen.append(item)
                if item.name == "OriginateResponse":
                    responded.set()

    await ami.start(wait_s=10)
    await asyncio.sleep(0.5)  # the filters are asked right after the login
    stream = ami.events()
    collector = asyncio.create_task(collect(stream))
    try:
        action_id = await originate(ami, NEVER_ANSWERS, lab, timeout_ms=4000)
        await asyncio.sleep(1.0)
        listed = await ami.send_list_action("CoreShowChannels")
        async with asyncio.timeout(20):
            await responded.wait()
        await asyncio.sleep(1.0)  # the Hangups, and anything else that would come
    finally:
        await ami.close()  # ends the stream, and so the collector
        await collector
    channels = [e.get("Channel") or "" for e in listed.events if e.name == "CoreShowChannel"]
    assert any(NEVER_ANSWERS in channel for channel in channels), channels
    assert next(e for e in seen if e.name == "OriginateResponse").action_id == action_id
    assert "Hangup" in {e.name for e in seen}
    assert {e.name for e in seen} <= wanted, {e.name for e in seen} - wanted
