"""AmiClient.fully_booted: Asterisk takes logins before it has loaded its modules."""

from __future__ import annotations

from ami.testing import FakeAmiServer
from tests.unit.ami.conftest import ClientFactory

BOOTED = {"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"}


async def test_a_booted_asterisk_says_so_at_login(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    client = await make_client()
    assert await client.wait_fully_booted(2.0)
    assert client.fully_booted


async def test_a_booting_asterisk_is_waited_for_until_it_says_it_has_booted(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    server.booting = True
    client = await make_client()
    assert not await client.wait_fully_booted(0.1)
    assert not client.fully_booted
    await server.send_event(BOOTED)
    assert await client.wait_fully_booted(2.0)


async def test_each_new_session_waits_for_its_own_fully_booted(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    client = await make_client()
    assert await client.wait_fully_booted(2.0)
    server.booting = True  # Asterisk restarted: the next session meets it booting
    await server.drop_connections()
    await server.wait_for_action("Login", count=2)
    assert not await client.wait_fully_booted(0.1)
    await server.send_event(BOOTED)
    assert await client.wait_fully_booted(2.0)
    assert client.reconnects == 1
