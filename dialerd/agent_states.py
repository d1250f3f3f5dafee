"""What each agent of a campaign's queue is doing, for /status and the metrics: pure.

The agent board (dialerd.agents) knows what Asterisk says of each queue member (free, in
use, paused and why, wrap-up); the campaign runners know which members are on the calls
dialerd placed. An agent in use on no call of ours is on an inbound call (a callback to a
pool number, or the queue's own callers: a blended agent).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from dialerd.agents import INUSE, RINGING, Agent, AgentBoard
from dialerd.calltrack import CallState

__all__ = [
    "STATES",
    "AgentView",
    "agent_state",
    "agent_views",
    "count_states",
    "dialer_agents",
    "pause_reasons",
]

# In the order /status lists them; logged-out members are listed but not counted as staff.
STATES = ("ready", "dialer_call", "inbound_call", "ringing", "wrapup", "paused", "logged_out",
          "other")  # fmt: skip
MAX_REASONS = 10  # distinct pause reasons per campaign in the metric; more count as "other"
_MAX_REASON_CHARS = 40


@dataclass(frozen=True, slots=True)
class AgentView:
    name: str
    interface: str
    state: str
    pause_reason: str  # "" unless paused (and Asterisk gave one)

    def document(self) -> dict[str, str]:
        view = {"name": self.name, "interface": self.interface, "state": self.state}
        return view | ({"pause_reason": self.pause_reason} if self.state == "paused" else {})


class _Call(Protocol):
    @property
    def state(self) -> CallState: ...

    @property
    def agent(self) -> str | None: ...


class _Live(Protocol):
    @property
    def call(self) -> _Call: ...


class _Runner(Protocol):
    @property
    def calls(self) -> Mapping[uuid.UUID, _Live]: ...


def dialer_agents(runners: Iterable[_Runner]) -> frozenset[str]:
    """The agents (as AgentConnect named them) talking on calls dialerd placed, any campaign:
    campaigns sharing a queue see each other's calls as the dialer's, not as inbound."""
    return frozenset(
        live.call.agent
        for runner in runners
        for live in runner.calls.values()
        if live.call.state is CallState.CONNECTED and live.call.agent
    )


def agent_state(agent: Agent, now: float, on_dialer_calls: Collection[str]) -> str:
    """One of STATES; ``on_dialer_calls`` holds the member names (or interfaces) of the
    agents connected to calls dialerd placed, in any campaign."""
    checks = (
        (not agent.logged_in, "logged_out"),
        (agent.paused, "paused"),
        (agent.name in on_dialer_calls or agent.interface in on_dialer_calls, "dialer_call"),
        (agent.in_call or agent.status == INUSE, "inbound_call"),
        (agent.status == RINGING, "ringing"),
        (agent.ready(now), "ready"),
        (agent.wrapup_until > now, "wrapup"),
    )
    # "other": a device state Asterisk reports as neither free nor in use
    return next((state for holds, state in checks if holds), "other")


def agent_views(board: AgentBoard, now: float, on_dialer_calls: Collection[str]) -> list[AgentView]:
    """Every member of the board, by name."""
    views = [
        AgentView(a.name, a.interface, agent_state(a, now, on_dialer_calls), a.pause_reason)
        for a in board.agents.values()
    ]
    return sorted(views, key=lambda v: (v.name, v.interface))


def count_states(views: Iterable[AgentView]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for view in views:
        counts[view.state] += 1
    return counts


def pause_reasons(views: Iterable[AgentView]) -> dict[str, int]:
    """Paused agents by reason (``none`` when Asterisk gave none), at most MAX_REASONS of
    them and ``other``: a metric label must stay bounded whatever the centre types."""
    counts: dict[str, int] = {}
    for view in views:
        if view.state != "paused":
            continue
        reason = view.pause_reason.strip()[:_MAX_REASON_CHARS] or "none"
        if reason not in counts and len(counts) >= MAX_REASONS:
            reason = "other"
        counts[reason] = counts.get(reason, 0) + 1
    return counts
