"""The inbound calls a campaign's agents are on, for pacing's blended forecast: pure.

An agent of the campaign's queue on a call dialerd did not place is on an inbound call: one
of the campaign queue's own callers, or a call of a queue named in ``agents.inbound_queues``
(docs/campaigns.md#agents). The queue's ``AgentConnect`` marks its start; its
``AgentComplete`` ends it with Asterisk's TalkTime, which the campaign's pacing learns as
that queue's handle time (pacing.blended). Members are keyed by interface, as on the agent
board. A start missed (dialerd started mid-call, a lost connection) leaves the agent busy on
a call of unknown age: pacing then assumes it has just begun.

The same queues' callers who are still waiting (``QueueCallerJoin`` until
``QueueCallerLeave`` or ``QueueCallerAbandon``) take the next free agents before any new
dial, and each inbound connect teaches pacing how often they come (pacing.arrivals).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from dialerd.amievents import seconds
from pacing import InboundConnected, InboundEnded, Observation

__all__ = ["CALLER_EVENTS", "InboundCall", "InboundCalls"]

CALLER_EVENTS = frozenset({"QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon"})


@dataclass(frozen=True, slots=True)
class InboundCall:
    queue: str
    since: float  # monotonic seconds, when AgentConnect arrived


@dataclass(frozen=True, slots=True)
class InboundCalls:
    queues: frozenset[str]  # the campaign's queue and its agents.inbound_queues
    calls: Mapping[str, InboundCall] = field(default_factory=lambda: MappingProxyType({}))
    waiting: frozenset[str] = frozenset()  # Uniqueids of the inbound callers waiting

    def apply(
        self, name: str, headers: Mapping[str, str], now: float, ours: bool
    ) -> tuple[InboundCalls, tuple[Observation, ...]]:
        """After one of QUEUE_CALL_EVENTS; ``ours``: the caller is a call dialerd placed
        (its agent is then on a dialer call, not an inbound one). Returns what pacing
        learns: an inbound connect, an ended inbound call's handle time."""
        queue = headers.get("Queue") or ""
        if queue not in self.queues or (ours and name != "AgentConnect"):
            return self, ()
        if name in CALLER_EVENTS:
            return self._caller(name, headers.get("Uniqueid") or ""), ()
        member = headers.get("Interface") or headers.get("MemberName") or ""
        if not member or name not in ("AgentConnect", "AgentComplete"):
            return self, ()
        if name == "AgentComplete":
            ended = InboundEnded(queue=queue, talk_s=seconds(headers.get("TalkTime")))
            return self._without(member), (ended,)
        if ours:  # the agent is on a dialer call now
            return self._without(member), ()
        return self._with(member, queue, now), (InboundConnected(now),)

    def _caller(self, name: str, caller: str) -> InboundCalls:
        if not caller:
            return self
        if name == "QueueCallerJoin":
            return replace(self, waiting=self.waiting | {caller})
        return replace(self, waiting=self.waiting - {caller})

    def on_calls(self, busy: Collection[str], now: float) -> tuple[tuple[str, float], ...]:
        """(queue, seconds so far) of the inbound calls of the ``busy`` interfaces (an entry
        whose agent is free again lost its AgentComplete: it is left out)."""
        return tuple(
            (call.queue, max(0.0, now - call.since))
            for member, call in sorted(self.calls.items())
            if member in busy
        )

    def with_queues(self, queues: frozenset[str]) -> InboundCalls:
        """For a reloaded campaign: calls of queues it no longer names are forgotten."""
        kept = {m: c for m, c in self.calls.items() if c.queue in queues}
        return InboundCalls(queues, MappingProxyType(kept), self.waiting)

    def forgotten(self) -> InboundCalls:
        """After a lost connection: an AgentComplete or a QueueCallerLeave may have been
        missed."""
        return InboundCalls(self.queues)

    def _with(self, member: str, queue: str, now: float) -> InboundCalls:
        calls = dict(self.calls)
        calls[member] = InboundCall(queue, now)
        return replace(self, calls=MappingProxyType(calls))

    def _without(self, member: str) -> InboundCalls:
        if member not in self.calls:
            return self
        calls = {m: c for m, c in self.calls.items() if m != member}
        return replace(self, calls=MappingProxyType(calls))
