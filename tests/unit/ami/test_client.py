"""AmiClient against the fake server: login, actions, list actions and event streams."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from ami import (
    ActionFailed,
    ActionTimeout,
    AmiClient,
    AmiError,
    AuthenticationFailed,
    ConnectionStateChanged,
    Event,
    InvalidHeader,
    NotConnected,
    Response,
)
from ami.message import Message
from ami.settings import reconnect_delay_s
from ami.testing import FakeAmiServer
from tests.unit.ami.conftest import ClientFactory
from tests.unit.ami.support import fast_settings, next_event, next_item


async def test_login_uses_the_configured_credentials(
    server: FakeAmiServer, client: AmiClient
) -> None:
    assert client.connected
    assert client.greeting == "Asterisk Call Manager/9.0.0"
    (login,) = server.actions("Login")
    assert (login["Username"], login["Secret"], login["Events"]) == ("dialer", "s3cret", "on")
    assert client.reconnects == 0


async def test_a_wrong_secret_fails_fast_and_is_never_retried(server: FakeAmiServer) -> None:
    client = AmiClient(fast_settings(server, secret="wrong"))
    started = time.monotonic()
    with pytest.raises(AuthenticationFailed, match="Authentication failed"):
        await client.start(wait_s=2.0)
    assert time.monotonic() - started < 0.5
    await asyncio.sleep(0.1)  # several reconnect intervals: a retry loop would show up here
    assert len(server.actions("Login")) == 1
    assert server.connections == 1
    assert not client.connected
    with pytest.raises(NotConnected):
        await client.send_action("Ping")


async def test_an_action_gets_its_own_response(server: FakeAmiServer, client: AmiClient) -> None:
    server.on_action(
        "Getvar", lambda m: [{"Response": "Success", "Variable": m["Variable"], "Value": "42"}]
    )
    first, second = await asyncio.gather(
        client.send_action("Getvar", {"Variable": "A"}),
        client.send_action("Getvar", {"Variable": "B"}),
    )
    assert (first["Variable"], second["Variable"]) == ("A", "B")
    assert first.ok
    assert first.action_id != second.action_id
    sent = [m.action_id for m in server.actions("Getvar")]
    assert sent == [first.action_id, second.action_id]


async def test_an_error_response_is_returned_and_raise_for_error_raises(
    client: AmiClient,
) -> None:
    response = await client.send_action("NoSuchAction")
    assert not response.ok
    assert response.message == "Invalid/unknown command"
    with pytest.raises(ActionFailed, match=r"Invalid/unknown command") as caught:
        response.raise_for_error()
    assert caught.value.response is response
    assert response.action_id is not None
    assert response.action_id in str(caught.value)


async def test_no_response_in_time_is_an_action_timeout(
    server: FakeAmiServer, client: AmiClient
) -> None:
    server.silence_actions({"Originate"})
    started = time.monotonic()
    with pytest.raises(ActionTimeout, match="Originate") as caught:
        await client.send_action("Originate", {"Channel": "Local/1@t"}, timeout_s=0.05)
    assert time.monotonic() - started < 0.5
    assert caught.value.action_id == server.actions("Originate")[0].action_id
    assert client.connected


async def test_a_late_response_after_a_timeout_is_ignored(
    server: FakeAmiServer, client: AmiClient
) -> None:
    async def slow(message: Message) -> list[dict[str, str]]:
        await asyncio.sleep(0.1)
        return [{"Response": "Success", "Message": "late"}]

    server.on_action("Slow", slow)
    stream = client.events()
    with pytest.raises(ActionTimeout):
        await client.send_action("Slow", timeout_s=0.02)
    await asyncio.sleep(0.15)
    response = await client.send_action("Other")
    assert response.message == "Invalid/unknown command"
    await server.send_event({"Event": "Marker"})
    assert (await next_event(stream, "Marker")).name == "Marker"


def queue_status_replies(message: Message) -> list[dict[str, str]]:
    return [
        {"Response": "Success", "EventList": "start", "Message": "Queue status will follow"},
        {"Event": "QueueParams", "Queue": "sales", "Calls": "0"},
        {"Event": "QueueMember", "Queue": "sales", "Name": "Local/101@agents"},
        {"Event": "QueueMember", "Queue": "sales", "Name": "Local/102@agents"},
        {"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": "3"},
    ]


async def test_a_list_action_collects_its_events_and_keeps_them_off_the_streams(
    server: FakeAmiServer, client: AmiClient
) -> None:
    server.on_action("QueueStatus", queue_status_replies)
    stream = client.events()
    result = await client.send_list_action("QueueStatus", {"Queue": "sales"})
    assert result.response.ok
    assert [e.name for e in result.events] == [
        "QueueParams",
        "QueueMember",
        "QueueMember",
        "QueueStatusComplete",
    ]
    assert result.events[2]["Name"] == "Local/102@agents"
    await server.send_event({"Event": "Marker"})
    assert (await next_item(stream)) == Event({"Event": "Marker"})


async def test_a_list_action_error_returns_at_once_without_events(
    server: FakeAmiServer, client: AmiClient
) -> None:
    result = await client.send_list_action("CoreShowChannels", timeout_s=0.5)
    assert not result.response.ok
    assert result.events == ()


async def test_a_list_that_never_completes_times_out_as_a_whole(
    server: FakeAmiServer, client: AmiClient
) -> None:
    server.on_action("Status", lambda m: queue_status_replies(m)[:3])
    with pytest.raises(ActionTimeout, match="Status"):
        await client.send_list_action("Status", timeout_s=0.05)


async def test_every_subscriber_gets_every_event(server: FakeAmiServer, client: AmiClient) -> None:
    first, second = client.events(), client.events()
    await server.send_event({"Event": "Newchannel", "Channel": "PJSIP/1-0001"})
    await server.send_event({"Event": "Hangup", "Channel": "PJSIP/1-0001", "Cause": "16"})
    for stream in (first, second):
        assert (await next_item(stream)).name == "Newchannel"  # type: ignore[union-attr]
        assert (await next_item(stream)).name == "Hangup"  # type: ignore[union-attr]


async def test_originate_response_goes_to_the_streams_not_to_the_action(
    server: FakeAmiServer, client: AmiClient
) -> None:
    server.on_action(
        "Originate",
        lambda m: [
            {"Response": "Success", "Message": "Originate successfully queued"},
            {"Event": "OriginateResponse", "Response": "Success", "Reason": "4"},
        ],
    )
    stream = client.events()
    response = await client.send_action("Originate", {"Channel": "Local/1@t", "Async": "true"})
    assert isinstance(response, Response)
    assert response.message == "Originate successfully queued"
    event = await next_event(stream, "OriginateResponse")
    assert event.action_id == response.action_id
    assert event["Reason"] == "4"


async def test_connection_changes_are_on_the_stream(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    client = await make_client(start=False)
    stream = client.events()
    await client.start()
    assert await next_item(stream) == ConnectionStateChanged(True, "logged in")
    assert (await next_item(stream)).name == "FullyBooted"  # type: ignore[union-attr]
    await client.close()
    assert await next_item(stream) == ConnectionStateChanged(False, "client closed")
    with pytest.raises(StopAsyncIteration):
        await next_item(stream)


async def test_a_slow_subscriber_overflows_instead_of_losing_events_silently(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    client = await make_client(event_queue_size=3)
    slow, healthy = client.events(), client.events()
    for number in range(4):
        await server.send_event({"Event": "Tick", "N": str(number)})
        assert (await next_item(healthy))["N"] == str(number)  # type: ignore[index]
        assert slow.overflowed == (number == 3)
    with pytest.raises(AmiError, match="overflowed"):
        await next_item(slow)


async def test_a_closed_subscription_ends_and_receives_nothing(
    server: FakeAmiServer, client: AmiClient
) -> None:
    async with client.events() as stream:
        await server.send_event({"Event": "A"})
        assert (await next_item(stream)).name == "A"  # type: ignore[union-attr]
    await server.send_event({"Event": "B"})
    with pytest.raises(StopAsyncIteration):
        await next_item(stream)


async def test_injected_headers_never_reach_the_server(
    server: FakeAmiServer, client: AmiClient
) -> None:
    attempts = [
        {"Channel": "Local/1@t\r\nAction: Hangup\r\nChannel: PJSIP/boss"},
        {"Channel\r\nAction: Hangup": "x"},
        {"Channel": "Local/1@t\nAction: Hangup"},
        {"Variable": ["A=1", "B=2\r\n\r\nAction: Hangup"]},
    ]
    for headers in attempts:
        with pytest.raises(InvalidHeader):
            await client.send_action("Originate", headers)  # type: ignore[arg-type]
    await client.send_action("Ping")  # anything written before would have arrived by now
    assert [m["Action"] for m in server.received] == ["Login", "Ping"]


async def test_sending_before_start_raises_not_connected_and_writes_nothing(
    server: FakeAmiServer,
) -> None:
    client = AmiClient(fast_settings(server))
    with pytest.raises(NotConnected, match="Originate was not sent"):
        await client.send_action("Originate")
    assert server.connections == 0


async def test_start_waits_through_refused_connections(server: FakeAmiServer) -> None:
    server.refuse_connections = True
    client = AmiClient(fast_settings(server))
    starting = asyncio.create_task(client.start(wait_s=2.0))
    await server.wait_for_connections(3)
    server.refuse_connections = False
    await starting
    assert client.connected
    await client.close()


async def test_start_gives_up_after_wait_s_and_leaves_the_client_closed(
    server: FakeAmiServer,
) -> None:
    server.refuse_connections = True
    client = AmiClient(fast_settings(server))
    with pytest.raises(NotConnected, match="no login within"):
        await client.start(wait_s=0.1)
    connections = server.connections
    await asyncio.sleep(0.1)
    assert server.connections == connections


async def test_cancelling_start_stops_the_connection_attempts(server: FakeAmiServer) -> None:
    server.refuse_connections = True
    client = AmiClient(fast_settings(server))
    starting = asyncio.create_task(client.start())
    await server.wait_for_connections(2)
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    connections = server.connections
    await asyncio.sleep(0.1)
    assert server.connections == connections


async def test_async_with_starts_and_logs_off(server: FakeAmiServer) -> None:
    async with AmiClient(fast_settings(server)) as client:
        assert client.connected
    assert len(server.actions("Logoff")) == 1
    with pytest.raises(NotConnected):
        await client.send_action("Ping")


def test_settings_repr_masks_the_secret(server: FakeAmiServer) -> None:
    text = repr(server.settings())
    assert "s3cret" not in text
    assert "secret=***" in text
    assert "username='dialer'" in text


@pytest.mark.parametrize(
    "overrides",
    [{"port": 0}, {"action_timeout_s": 0}, {"reconnect_max_s": 0.1}, {"event_queue_size": 0}],
)
def test_nonsense_settings_are_refused(server: FakeAmiServer, overrides: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        server.settings(reconnect_min_s=0.5, **overrides)


def test_reconnect_delays_are_jittered_within_a_doubling_cap() -> None:
    rng = random.Random(3)
    for attempt, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (500, 30.0)]:
        delays = [reconnect_delay_s(attempt, 0.5, 30.0, rng) for _ in range(200)]
        assert min(delays) >= 0.5
        assert max(delays) <= cap
        assert max(delays) >= 0.5 + (cap - 0.5) * 0.8  # full jitter reaches near the cap
