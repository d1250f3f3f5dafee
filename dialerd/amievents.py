"""AMI events, as the call tracker understands them. Pure translation, no state.

Every call dialerd places carries its attempt id as the channel's Uniqueid (Originate's
ChannelId), which Asterisk repeats on the OriginateResponse, the user events of the
dialplan snippet, the queue events and the Hangup; the snippet's user events also carry
it in an `Attempt` header.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from ami import Event
from dialerd.calltrack import (
    AgentCallEnded,
    AgentConnected,
    AmdDone,
    CallEvent,
    CustomerAnswered,
    HungUp,
    OriginateResult,
    QueueGaveUp,
)

AGENT_EVENTS = frozenset(
    {
        "QueueMember",
        "QueueMemberStatus",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "QueueMemberPause",
        "AgentComplete",
    }
)

# for dialerd.blended: inbound calls of the campaigns' agents, and callers waiting
QUEUE_CALL_EVENTS = frozenset(
    {"AgentConnect", "AgentComplete", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon"}
)


def call_key(event: Event) -> str | None:
    """The attempt id an event belongs to: Originate's ChannelId became the Uniqueid. The
    snippet's user events name it in `Attempt`, which wins: DialerdAgentConnected comes
    from the agent's leg, whose Uniqueid is its own."""
    if event.name == "UserEvent" and event.get("Attempt"):
        return event.get("Attempt")
    return event.get("Uniqueid") or event.get("Attempt")


def call_event(event: Event) -> CallEvent | None:
    """The tracker event for an AMI event, or None for events the tracker ignores."""
    translate = TRANSLATIONS.get(event.name)
    return translate(event.headers) if translate else None


def _number(value: str | None, default: float = 0.0) -> float:
    """A count of seconds or a code as Asterisk writes it; anything else (text, inf, nan,
    a negative number) is the default, so no header can crash the event pump or feed
    pacing a statistic it cannot use."""
    try:
        number = float(value) if value else default
    except ValueError:
        return default
    return number if math.isfinite(number) and number >= 0 else default


def seconds(value: str | None) -> float:
    """A duration header (TalkTime, HoldTime): 0 when it is not a count of seconds."""
    return _number(value)


def _originate_response(h: Mapping[str, str]) -> CallEvent:
    return OriginateResult(reason=int(_number(h.get("Reason"))))


def _user_event(h: Mapping[str, str]) -> CallEvent | None:
    kind = h.get("UserEvent")
    if kind == "DialerdAnswered":
        return CustomerAnswered()
    if kind == "DialerdQueueResult" and h.get("Status"):
        return QueueGaveUp(status=h.get("Status", ""))
    if kind == "DialerdAmd":
        return _amd_done(h)
    if kind == "DialerdAgentConnected":  # a preview dial reached its agent (no queue)
        return AgentConnected(agent=h.get("Agent") or "?", hold_s=None)
    return None


def _amd_done(h: Mapping[str, str]) -> CallEvent:
    """AMD's result; an action other than the three the snippet takes reads as `agent`
    (the call was queued), the case in which the tracker waits for an agent or an abandon."""
    action = h.get("Action", "")
    return AmdDone(
        status=h.get("Status", "")[:16],
        cause=h.get("Cause", "")[:64],
        ms=int(_number(h.get("Ms"))),
        action=action if action in ("agent", "hangup", "message") else "agent",
    )


def _agent_connect(h: Mapping[str, str]) -> CallEvent:
    agent = h.get("MemberName") or h.get("Interface") or "?"
    return AgentConnected(agent=agent, hold_s=_number(h.get("HoldTime")))


def _agent_complete(h: Mapping[str, str]) -> CallEvent:
    return AgentCallEnded(talk_s=_number(h.get("TalkTime")))


def _hangup(h: Mapping[str, str]) -> CallEvent:
    cause = h.get("Cause")
    return HungUp(cause=int(cause) if cause and cause.isdigit() else None)


TRANSLATIONS: dict[str, Callable[[Mapping[str, str]], CallEvent | None]] = {
    "OriginateResponse": _originate_response,
    "UserEvent": _user_event,
    "AgentConnect": _agent_connect,
    "AgentComplete": _agent_complete,
    "Hangup": _hangup,
}


# Every event the daemon reads: the tracker's, the agents' and FullyBooted (the dialplan
# snippet's, the CRM's dispositions and the inbound desk's are UserEvents, the desk's other
# one AgentConnect). The AMI client asks Asterisk for these only (AmiSettings.events), which
# spares the daemon the nine in ten events of a call it has no use for (VarSet, Newexten,
# DeviceStateChange, ...). A handler for a new event must add it here, or it never arrives.
WANTED_EVENTS = (
    AGENT_EVENTS | QUEUE_CALL_EVENTS | frozenset(TRANSLATIONS) | frozenset({"FullyBooted"})
)
