"""AmiClient when the connection misbehaves: drops, stalls, refusals, garbage, closing."""

from __future__ import annotations

import asyncio
import time

import pytest

from ami import (
    AmiClient,
    ConnectionLost,
    ConnectionStateChanged,
    NotConnected,
)
from ami.testing import FakeAmiServer
from tests.unit.ami.conftest import ClientFactory
from tests.unit.ami.support import next_event, next_item, next_state


async def test_a_drop_fails_the_pending_action_at_once_and_never_resends_it(
    server: FakeAmiServer, client: AmiClient
) -> None:
    server.silence_actions({"Originate"})
    stream = client.events()
    originate = asyncio.create_task(
        client.send_action("Originate", {"Channel": "Local/1@t"}, timeout_s=5.0)
    )
    (sent,) = await server.wait_for_action("Originate")
    started = time.monotonic()
    await server.drop_connections()
    with pytest.raises(ConnectionLost) as caught:
        await originate
    assert time.monotonic() - started < 0.5
    assert caught.value.action_id == sent.action_id
    assert (await next_state(stream)).connected is False
    assert (await next_state(stream)).connected is True
    await client.send_action("Ping")  # a re-sent Originate would have arrived before this
    assert [m["Action"] for m in server.received] == ["Login", "Originate", "Login", "Ping"]
    assert client.reconnects == 1


async def test_a_drop_while_idle_is_reported_and_repaired(
    server: FakeAmiServer, client: AmiClient
) -> None:
    stream = client.events()
    await server.drop_connections()
    lost = await next_state(stream)
    assert lost.connected is False
    assert "closed by peer" in lost.reason or "read failed" in lost.reason
    assert await next_state(stream) == ConnectionStateChanged(True, "logged in")
    assert client.connected
    assert (await client.send_action("Ping")).ok


async def test_a_stalled_server_is_detected_by_the_ping_timeout(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    client = await make_client(ping_interval_s=0.02, ping_timeout_s=0.05)
    stream = client.events()
    await server.wait_for_action("Ping")
    server.stall()
    lost = await next_state(stream, timeout_s=1.0)
    assert lost.connected is False
    assert "Ping" in lost.reason
    server.unstall()
    assert (await next_state(stream)).connected is True
    assert server.connections == 2


async def test_sending_while_disconnected_raises_and_writes_nothing(
    server: FakeAmiServer, client: AmiClient
) -> None:
    stream = client.events()
    server.refuse_connections = True
    await server.drop_connections()
    assert (await next_state(stream)).connected is False
    with pytest.raises(NotConnected, match="Originate was not sent"):
        await client.send_action("Originate", {"Channel": "Local/1@t"})
    server.refuse_connections = False
    assert (await next_state(stream)).connected is True
    await client.send_action("Ping")
    assert server.actions("Originate") == []


async def test_a_refused_relogin_ends_the_streams_for_good(
    server: FakeAmiServer, client: AmiClient
) -> None:
    stream = client.events()
    server.reject_logins = True
    await server.drop_connections()
    assert (await next_state(stream)).connected is False
    assert await next_item(stream) == ConnectionStateChanged(False, "authentication failed")
    with pytest.raises(StopAsyncIteration):
        await next_item(stream)
    with pytest.raises(NotConnected, match="authentication failed"):
        await client.send_action("Ping")
    await asyncio.sleep(0.1)  # several reconnect intervals: a retry loop would show up here
    assert len(server.actions("Login")) == 2
    assert not client.connected


async def test_close_fails_pending_actions_and_logs_off(
    server: FakeAmiServer, client: AmiClient
) -> None:
    server.silence_actions({"Originate"})
    originate = asyncio.create_task(client.send_action("Originate", timeout_s=5.0))
    await server.wait_for_action("Originate")
    started = time.monotonic()
    await client.close()
    with pytest.raises(ConnectionLost, match="client closed"):
        await originate
    assert time.monotonic() - started < 0.5
    assert len(server.actions("Logoff")) == 1
    with pytest.raises(NotConnected, match="client closed"):
        await client.send_action("Ping")


async def test_close_does_not_wait_for_a_stalled_server(
    server: FakeAmiServer, client: AmiClient
) -> None:
    server.stall()
    started = time.monotonic()
    await client.close()
    assert time.monotonic() - started < 1.5  # the Logoff wait is capped at one second
    assert not client.connected


async def test_an_endless_message_resets_the_connection(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    client = await make_client(max_message_bytes=1024)
    stream = client.events()
    await server.send_raw(b"Event: Flood\r\nJunk: " + b"x" * 2048)
    lost = await next_state(stream)
    assert lost.connected is False
    assert "1024 bytes" in lost.reason
    assert (await next_state(stream)).connected is True
    assert client.reconnects == 1


async def test_garbage_between_messages_is_ignored(
    server: FakeAmiServer, client: AmiClient
) -> None:
    stream = client.events()
    await server.send_raw(b"\xff\xfe not AMI at all\r\n\x00\x01\r\n\r\n")
    await server.send_event({"Event": "Marker"})
    assert (await next_event(stream, "Marker")).name == "Marker"
    assert client.reconnects == 0


async def test_an_event_trickling_in_byte_by_byte_arrives_intact(
    server: FakeAmiServer, client: AmiClient
) -> None:
    stream = client.events()
    data = "Event: Newchannel\r\nCallerIDName: Олександра\r\n\r\n".encode()
    await server.send_raw(data, chunk_size=1)
    event = await next_event(stream, "Newchannel")
    assert event["CallerIDName"] == "Олександра"
