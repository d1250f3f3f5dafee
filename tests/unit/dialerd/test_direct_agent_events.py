"""A preview dial goes to its agent by Dial(), not Queue(): the snippet's user event stands in
for the queue's AgentConnect."""

from __future__ import annotations

from ami import Event
from dialerd.amievents import call_event, call_key
from dialerd.calltrack import AgentConnected

ATTEMPT = "0b6f2c1e-8d0c-4c1e-9a55-3f7c2d1e0a11"


def user_event(kind: str, **headers: str) -> Event:
    return Event({"Event": "UserEvent", "UserEvent": kind, **headers})


def test_the_agent_legs_connect_belongs_to_the_attempt_it_names() -> None:
    event = user_event(
        "DialerdAgentConnected", Uniqueid="1764750000.42", Attempt=ATTEMPT, Agent="agent05"
    )
    assert call_key(event) == ATTEMPT  # not the agent leg's own Uniqueid
    assert call_event(event) == AgentConnected(agent="agent05", hold_s=None)


def test_other_events_keep_their_uniqueid_as_the_key() -> None:
    connect = Event({"Event": "AgentConnect", "Uniqueid": ATTEMPT, "Attempt": "other"})
    assert call_key(connect) == ATTEMPT
