"""Blended agents: the inbound calls a campaign's agents are on, and what pacing is told."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from dialerd.agents import INUSE, NOT_INUSE, Agent, AgentBoard
from dialerd.blended import InboundCalls
from dialerd.config import Campaign
from dialerd.pacer import Pacer, Situation
from pacing import InboundConnected, InboundEnded

QUEUES = frozenset({"sales", "support"})
AGENT = "Local/agent01@lab-agents/n"


def event(queue: str, **more: str) -> dict[str, str]:
    return {"Queue": queue, "Interface": AGENT, "MemberName": "agent01", **more}


def test_a_call_of_a_watched_queue_runs_from_its_agent_connect_to_its_agent_complete() -> None:
    calls, learnt = InboundCalls(QUEUES).apply("AgentConnect", event("support"), 100.0, False)
    assert learnt == (InboundConnected(100.0),)  # how often inbound calls come, for pacing
    assert calls.on_calls({AGENT}, 130.0) == (("support", 30.0),)
    assert calls.on_calls(set(), 130.0) == ()  # free again: its AgentComplete was missed
    done = event("support", TalkTime="42", HoldTime="1")
    calls, learnt = calls.apply("AgentComplete", done, 142.0, False)
    assert learnt == (InboundEnded(queue="support", talk_s=42.0),)
    assert calls.on_calls({AGENT}, 150.0) == ()


def test_a_dialer_call_is_not_inbound_and_replaces_a_stale_one() -> None:
    calls, _ = InboundCalls(QUEUES).apply("AgentConnect", event("sales"), 100.0, False)
    calls, learnt = calls.apply("AgentConnect", event("sales"), 200.0, True)
    assert calls.on_calls({AGENT}, 210.0) == ()
    assert learnt == ()
    _, learnt = calls.apply("AgentComplete", event("sales", TalkTime="9"), 210.0, True)
    assert learnt == ()  # the campaign learns its own calls from its call tracker


def test_other_queues_and_events_change_nothing() -> None:
    calls = InboundCalls(QUEUES)
    assert calls.apply("AgentConnect", event("elsewhere"), 1.0, False) == (calls, ())
    assert calls.apply("AgentCalled", event("support"), 1.0, False) == (calls, ())
    no_member = {"Queue": "support"}
    assert calls.apply("AgentConnect", no_member, 1.0, False) == (calls, ())


def test_a_talk_time_asterisk_did_not_give_reads_as_zero() -> None:
    calls, _ = InboundCalls(QUEUES).apply("AgentConnect", event("support"), 1.0, False)
    _, learnt = calls.apply("AgentComplete", event("support", TalkTime="n/a"), 2.0, False)
    assert learnt == (InboundEnded(queue="support", talk_s=0.0),)


def test_a_reload_forgets_queues_no_longer_named_and_a_lost_connection_forgets_all() -> None:
    calls, _ = InboundCalls(QUEUES).apply("AgentConnect", event("support"), 1.0, False)
    assert calls.with_queues(frozenset({"sales"})).on_calls({AGENT}, 2.0) == ()
    assert calls.with_queues(QUEUES).on_calls({AGENT}, 2.0) == (("support", 1.0),)
    assert calls.forgotten().calls == {}


def test_callers_wait_from_joining_a_watched_queue_until_they_leave_it() -> None:
    calls = InboundCalls(QUEUES)
    for n, queue in enumerate(("support", "sales", "elsewhere")):
        calls, _ = calls.apply("QueueCallerJoin", {"Queue": queue, "Uniqueid": f"c{n}"}, 1.0, False)
    calls, _ = calls.apply("QueueCallerJoin", {"Queue": "sales", "Uniqueid": "mine"}, 1.0, True)
    assert calls.waiting == {"c0", "c1"}  # not another queue's caller, nor a call of ours
    calls, _ = calls.apply("QueueCallerLeave", {"Queue": "support", "Uniqueid": "c0"}, 2.0, False)
    calls, _ = calls.apply("QueueCallerAbandon", {"Queue": "sales", "Uniqueid": "c1"}, 2.0, False)
    assert calls.waiting == set()
    calls, _ = calls.apply("QueueCallerJoin", {"Queue": "sales", "Uniqueid": "c3"}, 3.0, False)
    assert calls.with_queues(QUEUES).waiting == {"c3"}
    assert calls.forgotten().waiting == set()


def campaign(**agents: Any) -> Campaign:
    return Campaign.model_validate(
        {
            "name": "c",
            "queue": "sales",
            "region": "UA",
            "dial": {"trunk": "Local/{number}@customers", "caller_id": "+442079460000"},
            "agents": agents,
        }
    )


def test_pacing_is_told_the_inbound_calls_and_counts_the_rest_as_just_begun() -> None:
    busy = [Agent(f"L/{n}", f"a{n}", INUSE, paused=False, in_call=True) for n in range(3)]
    free = [Agent("L/f", "af", NOT_INUSE, paused=False, in_call=False)]
    board = AgentBoard("sales", 0.0, {a.interface: a for a in busy + free})
    # one agent on a call of ours (talking 50 s), one on a known inbound call, one unknown
    seen = Situation(board, (), (50.0,), 0, 30, 10, inbound=(("support", 12.0),), inbound_waiting=2)
    inputs = Pacer.create(campaign(inbound_queues=["support"])).inputs(seen, 0.0)
    assert inputs.inbound == (("support", 12.0),)
    assert inputs.inbound_waiting == 2
    assert inputs.talking_s == (50.0, 0.0)
    assert (inputs.ready_agents, inputs.staffed_agents) == (1, 4)


def test_inbound_queues_are_queue_names_each_named_once_and_not_the_campaigns_own() -> None:
    assert campaign(inbound_queues=["support", "billing"]).agents.inbound_queues == [
        "support",
        "billing",
    ]
    with pytest.raises(ValidationError, match="more than once"):
        campaign(inbound_queues=["support", "support"])
    with pytest.raises(ValidationError, match="own queue 'sales'"):
        campaign(inbound_queues=["sales"])
    with pytest.raises(ValidationError, match="should match pattern"):
        campaign(inbound_queues=["no spaces"])
