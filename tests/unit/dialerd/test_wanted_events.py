"""The AMI event filter names every event a handler of the daemon reads."""

from __future__ import annotations

from dialerd.amievents import AGENT_EVENTS, TRANSLATIONS, WANTED_EVENTS
from dialerd.app import ami_settings
from dialerd.config import AmiServer
from dialerd.inbound_desk import AGENT_CONNECT


def test_the_daemon_asks_asterisk_for_every_event_it_reads() -> None:
    read = AGENT_EVENTS | set(TRANSLATIONS) | {AGENT_CONNECT, "UserEvent", "FullyBooted"}
    assert read <= WANTED_EVENTS
    server = AmiServer(host="127.0.0.1", port=5038, username="dialerd", secret="s")
    assert ami_settings(server).events == WANTED_EVENTS


def test_the_chatter_of_a_call_is_not_asked_for() -> None:
    assert not {"VarSet", "Newexten", "DeviceStateChange", "Newstate"} & WANTED_EVENTS
