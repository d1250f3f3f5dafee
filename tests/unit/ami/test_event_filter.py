"""AmiSettings.events: the client asks Asterisk for only the events it names."""

from __future__ import annotations

import asyncio

import pytest

from ami.settings import AmiSettings
from ami.testing import FakeAmiServer
from tests.unit.ami.conftest import ClientFactory

OK = [{"Response": "Success", "Message": "Success"}]
REFUSED = [{"Response": "Error", "Message": "Permission denied"}]


async def test_after_each_login_one_include_filter_per_named_event(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    server.on_action("Filter", lambda _: OK)
    client = await make_client(events=frozenset({"Hangup", "UserEvent"}))
    filters = await server.wait_for_action("Filter", count=2)
    assert [(f["Operation"], f["MatchCriteria"]) for f in filters] == [
        ("Add", "action(include),name(Hangup)"),
        ("Add", "action(include),name(UserEvent)"),
    ]
    await server.drop_connections()  # a session's filters end with it: asked again
    await server.wait_for_action("Filter", count=4)
    assert client.reconnects == 1


async def test_without_events_no_filter_is_asked(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    await make_client()
    await server.wait_for_action("Login")
    await asyncio.sleep(0.05)
    assert server.actions("Filter") == []


async def test_a_refused_filter_leaves_every_event_and_is_not_asked_again(
    server: FakeAmiServer, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server.on_action("Filter", lambda _: REFUSED)
    client = await make_client(events=frozenset({"Hangup", "UserEvent"}))
    await server.wait_for_action("Filter")
    await server.drop_connections()
    await server.wait_for_action("Login", count=2)
    await asyncio.sleep(0.05)
    assert len(server.actions("Filter")) == 1
    assert client.connected
    assert "refused the AMI event filter (Permission denied)" in caplog.text


async def test_a_filter_refused_halfway_starts_a_session_without_any(
    server: FakeAmiServer, make_client: ClientFactory
) -> None:
    answers = iter([OK, REFUSED])
    server.on_action("Filter", lambda _: next(answers, OK))
    client = await make_client(events=frozenset({"Hangup", "UserEvent"}))
    await server.wait_for_action("Login", count=2)
    await asyncio.sleep(0.05)
    assert len(server.actions("Filter")) == 2  # none on the second session
    assert client.connected


def test_event_names_are_checked() -> None:
    with pytest.raises(ValueError, match="letters and digits"):
        AmiSettings("127.0.0.1", 5038, "u", "s", events=frozenset({"Hangup\r\nAction: X"}))
