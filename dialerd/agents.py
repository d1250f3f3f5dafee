"""Who can take a call right now: the members of a campaign's Asterisk queue.

Built from QueueStatus at start (QueueMember events) and kept current from member
events (QueueMemberStatus, QueueMemberAdded/Removed, QueueMemberPause, AgentComplete).
Pure values: `apply` returns a new board. An agent who just finished a call is in
wrap-up for the queue's wrap-up time and is not ready, even though Asterisk already
reports the device as not in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from dialerd.domain import DuePhone

# Asterisk device states (QueueMember / QueueMemberStatus "Status").
NOT_INUSE = 1
INUSE = 2
RINGING = 6
UNAVAILABLE = 5


@dataclass(frozen=True, slots=True)
class Agent:
    interface: str
    name: str
    status: int
    paused: bool
    in_call: bool
    wrapup_until: float = 0.0  # monotonic seconds
    pause_reason: str = ""  # Asterisk's PausedReason while paused

    def ready(self, now: float) -> bool:
        return (
            self.status == NOT_INUSE
            and not self.paused
            and not self.in_call
            and now >= self.wrapup_until
        )

    @property
    def logged_in(self) -> bool:
        return self.status != UNAVAILABLE


@dataclass(frozen=True, slots=True)
class AgentBoard:
    queue: str
    wrapup_s: float
    agents: Mapping[str, Agent] = field(default_factory=lambda: MappingProxyType({}))

    def ready_count(self, now: float) -> int:
        return sum(1 for agent in self.agents.values() if agent.ready(now))

    def ready_names(self, now: float) -> frozenset[str]:
        """The ready agents' member names and interfaces (an owned callback names one)."""
        ready = [a for a in self.agents.values() if a.ready(now)]
        return frozenset(a.name for a in ready) | frozenset(a.interface for a in ready)

    def member(self, agent: str) -> Agent | None:
        """The member an agent's name (MemberName) or interface names, if in the queue."""
        found = self.agents.get(agent)
        return found or next((a for a in self.agents.values() if a.name == agent), None)

    def busy_count(self) -> int:
        return len(self.busy_interfaces())

    def busy_interfaces(self) -> frozenset[str]:
        """The members in use (on a call, or being rung by the queue)."""
        return frozenset(
            a.interface for a in self.agents.values() if a.status in (INUSE, RINGING) or a.in_call
        )

    def logged_in_count(self) -> int:
        return sum(1 for a in self.agents.values() if a.logged_in and not a.paused)

    def apply(self, event: str, headers: Mapping[str, str], now: float) -> AgentBoard:
        """The board after one AMI event; events for other queues change nothing."""
        if headers.get("Queue") != self.queue:
            return self
        interface = headers.get("Interface") or headers.get("Location") or ""
        if not interface:
            return self
        if event == "QueueMemberRemoved":
            return self._without(interface)
        if event == "AgentComplete":
            return self._wrapping_up(interface, now)
        if event in MEMBER_EVENTS:
            return self._with(_agent_from(interface, headers, self.agents.get(interface)))
        return self

    def _with(self, agent: Agent) -> AgentBoard:
        agents = dict(self.agents)
        agents[agent.interface] = agent
        return replace(self, agents=MappingProxyType(agents))

    def _without(self, interface: str) -> AgentBoard:
        agents = {k: v for k, v in self.agents.items() if k != interface}
        return replace(self, agents=MappingProxyType(agents))

    def _wrapping_up(self, interface: str, now: float) -> AgentBoard:
        agent = self.agents.get(interface)
        if agent is None:
            return self
        return self._with(replace(agent, wrapup_until=now + self.wrapup_s))


MEMBER_EVENTS = frozenset(
    {"QueueMember", "QueueMemberStatus", "QueueMemberAdded", "QueueMemberPause"}
)


def _agent_from(interface: str, headers: Mapping[str, str], known: Agent | None) -> Agent:
    previous_wrapup = known.wrapup_until if known else 0.0
    paused = headers.get("Paused", "1" if known and known.paused else "0") == "1"
    return Agent(
        interface=interface,
        name=headers.get("MemberName") or headers.get("Name") or interface,
        status=_int(headers.get("Status"), known.status if known else UNAVAILABLE),
        paused=paused,
        in_call=headers.get("InCall", "1" if known and known.in_call else "0") == "1",
        wrapup_until=previous_wrapup,
        pause_reason=_pause_reason(headers, known) if paused else "",
    )


def _pause_reason(headers: Mapping[str, str], known: Agent | None) -> str:
    """QueueMember and QueueMemberPause say PausedReason (older Asterisk: Reason); a status
    event that leaves it out keeps the reason already known."""
    reason = headers.get("PausedReason", headers.get("Reason"))
    if reason is None:
        return known.pause_reason if known else ""
    return reason


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def routed_to(phone: DuePhone, board: AgentBoard, agent: str) -> DuePhone:
    """The phone, to be dialled to ``agent`` (a member name or interface) when that agent
    is a member of the board's queue; else as it is, for whoever the queue picks."""
    member = board.member(agent) if agent else None
    if member is None:
        return replace(phone, agent_interface=None, agent_name="")
    return replace(phone, agent_interface=member.interface, agent_name=member.name)
