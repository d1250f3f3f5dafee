"""Agent states for /status and the metrics: each member classified, pause reasons bounded."""

from __future__ import annotations

from types import SimpleNamespace

from dialerd.agent_states import (
    MAX_REASONS,
    agent_views,
    count_states,
    dialer_agents,
    pause_reasons,
)
from dialerd.agents import INUSE, NOT_INUSE, RINGING, UNAVAILABLE, Agent, AgentBoard
from dialerd.calltrack import CallState

NOW = 50.0


def board(*agents: Agent) -> AgentBoard:
    return AgentBoard("q", 10.0, {a.interface: a for a in agents})


def test_each_member_gets_the_state_an_agent_would_name() -> None:
    members = board(
        Agent("Local/1", "ready1", NOT_INUSE, paused=False, in_call=False),
        Agent("Local/2", "ours", INUSE, paused=False, in_call=True),
        Agent("Local/3", "theirs", INUSE, paused=False, in_call=True),
        Agent("Local/4", "wrapping", NOT_INUSE, paused=False, in_call=False, wrapup_until=NOW + 5),
        Agent("Local/5", "lunch", NOT_INUSE, paused=True, in_call=False, pause_reason="lunch"),
        Agent("Local/6", "gone", UNAVAILABLE, paused=False, in_call=False),
        Agent("Local/7", "offered", RINGING, paused=False, in_call=False),
    )
    views = agent_views(members, NOW, frozenset({"ours"}))
    assert {v.name: v.state for v in views} == {
        "ready1": "ready",
        "ours": "dialer_call",
        "theirs": "inbound_call",  # in use on no call dialerd placed: a blended agent
        "wrapping": "wrapup",
        "lunch": "paused",
        "gone": "logged_out",
        "offered": "ringing",
    }
    assert next(v for v in views if v.name == "lunch").document() == {
        "name": "lunch",
        "interface": "Local/5",
        "state": "paused",
        "pause_reason": "lunch",
    }
    counts = count_states(views)
    assert (counts["ready"], counts["dialer_call"], counts["inbound_call"], counts["other"]) == (
        1,
        1,
        1,
        0,
    )


def test_the_pause_reason_comes_from_asterisk_and_stays_until_unpaused() -> None:
    members = board(Agent("Local/1", "a1", NOT_INUSE, paused=False, in_call=False))
    headers = {"Queue": "q", "Interface": "Local/1", "Paused": "1", "PausedReason": "training"}
    paused = members.apply("QueueMemberPause", headers, NOW)
    assert paused.agents["Local/1"].pause_reason == "training"
    status = {"Queue": "q", "Interface": "Local/1", "Status": "1"}  # says nothing of the pause
    assert paused.apply("QueueMemberStatus", status, NOW).agents["Local/1"].pause_reason == (
        "training"
    )
    unpaused = paused.apply("QueueMemberPause", {**headers, "Paused": "0"}, NOW)
    assert unpaused.agents["Local/1"].pause_reason == ""


def test_pause_reasons_are_a_bounded_label() -> None:
    members = board(
        *(
            Agent(f"Local/{n}", f"a{n}", NOT_INUSE, True, False, pause_reason=f"r{n}")
            for n in range(MAX_REASONS + 5)
        ),
        Agent("Local/x", "ax", NOT_INUSE, paused=True, in_call=False),
    )
    reasons = pause_reasons(agent_views(members, NOW, frozenset()))
    assert len(reasons) <= MAX_REASONS + 1
    assert sum(reasons.values()) == MAX_REASONS + 6
    assert "other" in reasons


def test_only_connected_calls_put_their_agent_on_a_dialer_call() -> None:
    def live(state: CallState, agent: str | None) -> SimpleNamespace:
        return SimpleNamespace(call=SimpleNamespace(state=state, agent=agent))

    runners = [
        SimpleNamespace(
            calls={1: live(CallState.CONNECTED, "a1"), 2: live(CallState.ANSWERED, None)}
        ),
        SimpleNamespace(calls={3: live(CallState.CONNECTED, "b7")}),
    ]
    assert dialer_agents(runners) == frozenset({"a1", "b7"})  # type: ignore[arg-type]
