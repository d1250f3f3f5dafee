"""Call tracking as a transition table: `(state, event) -> (call, effects)`, no I/O.

One `Call` value follows one attempt from the Originate to its single outcome. AMI
events arrive in any order around an answer (the OriginateResponse may come after the
dialplan's first user event), so the table accepts either order. An event that makes
no sense in a state is ignored (a late event after the end changes nothing), and the
call ends exactly once: the only effect is `Finished`, emitted by the transition into
ENDED.

    ORIGINATING --rejected / not-answered reason--> ENDED (failed, busy, no_answer, ...)
    ORIGINATING --answered-----------------------> ANSWERED --agent--> CONNECTED
    ANSWERED --AMD result--> ANSWERED (AMD's hangup or message: the hangup ends it as machine)
    ANSWERED --queue gave up--> ABANDONING            CONNECTED / ABANDONING --hangup--> ENDED
    any live state --connection lost--> ORPHANED --still live--> back  --gone--> ENDED (unknown)
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from dialerd.domain import Amd, AttemptResult, Outcome


class CallState(enum.Enum):
    ORIGINATING = "originating"
    ANSWERED = "answered"
    CONNECTED = "connected"
    ABANDONING = "abandoning"
    ORPHANED = "orphaned"
    ENDED = "ended"


# ---- events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OriginateRejected:
    """Asterisk answered the Originate action with an error: no call was placed."""

    message: str


@dataclass(frozen=True, slots=True)
class OriginateResult:
    """The OriginateResponse event: Asterisk's Reason code for the dial."""

    reason: int


@dataclass(frozen=True, slots=True)
class CustomerAnswered:
    """The answered call entered the dialplan snippet."""


@dataclass(frozen=True, slots=True)
class AmdDone:
    """The snippet's AMD() classified the answered call (user event DialerdAmd): its status
    (HUMAN, MACHINE, NOTSURE, HANGUP), cause, detection time, and the action it took
    (agent: queued; hangup; message: a voicemail drop)."""

    status: str
    cause: str
    ms: int
    action: str


@dataclass(frozen=True, slots=True)
class AgentConnected:
    agent: str
    hold_s: float | None  # None: not told (a preview dial's own connect), answer to connect


@dataclass(frozen=True, slots=True)
class QueueGaveUp:
    """No agent within the grace: the snippet plays the message (QUEUESTATUS given)."""

    status: str


@dataclass(frozen=True, slots=True)
class AgentCallEnded:
    talk_s: float


@dataclass(frozen=True, slots=True)
class HungUp:
    cause: int | None


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The AMI connection dropped: events for this call may have been missed."""


@dataclass(frozen=True, slots=True)
class Resynced:
    """After a reconnect or restart: whether Asterisk still has the call's channel, and,
    when the state before the loss is not known, what the channel looks like now."""

    still_live: bool
    bridged: bool = False  # in a bridge: talking to an agent
    up: bool = False  # answered


@dataclass(frozen=True, slots=True)
class GaveUpWaiting:
    """No final event long after it was due (a lost event): the outcome is unknown."""


CallEvent = (
    OriginateRejected
    | OriginateResult
    | CustomerAnswered
    | AmdDone
    | AgentConnected
    | QueueGaveUp
    | AgentCallEnded
    | HungUp
    | ConnectionLost
    | Resynced
    | GaveUpWaiting
)


@dataclass(frozen=True, slots=True)
class Finished:
    """The effect of an ended call: write this result."""

    result: AttemptResult


# ---- the call value -------------------------------------------------------------

# AMD actions after which the call ends without an agent: the outcome is `machine`
MACHINE_ACTIONS = frozenset({"hangup", "message"})


@dataclass(frozen=True, slots=True)
class Call:
    attempt_id: uuid.UUID
    state: CallState = CallState.ORIGINATING
    before_orphaned: CallState | None = None
    originated_at: datetime | None = None
    answered_at: datetime | None = None
    agent_connected_at: datetime | None = None
    ast_reason: int | None = None
    hangup_cause: int | None = None
    agent: str | None = None
    hold_s: float | None = None
    talk_s: float | None = None
    amd: Amd | None = None  # AMD's result, once the snippet reported it

    @property
    def live(self) -> bool:
        return self.state is not CallState.ENDED

    @property
    def waiting_for_agent(self) -> bool:
        """Answered and not yet with an agent: the calls that can become abandoned."""
        return self.state is CallState.ANSWERED


Step = tuple[Call, tuple[Finished, ...]]
Handler = Callable[[Call, CallEvent, datetime], Step]

NOT_ANSWERED = {
    0: Outcome.FAILED,
    1: Outcome.FAILED,
    2: Outcome.NO_ANSWER,
    3: Outcome.NO_ANSWER,
    5: Outcome.BUSY,
    8: Outcome.CONGESTION,
}


def end(call: Call, outcome: Outcome, now: datetime) -> Step:
    ended = replace(call, state=CallState.ENDED)
    result = AttemptResult(
        attempt_id=call.attempt_id,
        outcome=outcome,
        ended_at=now,
        originated_at=call.originated_at,
        answered_at=call.answered_at,
        agent_connected_at=call.agent_connected_at,
        ast_reason=call.ast_reason,
        hangup_cause=call.hangup_cause,
        agent=call.agent,
        hold_s=call.hold_s,
        talk_s=call.talk_s,
        amd=call.amd,
    )
    return ended, (Finished(result),)


def stay(call: Call) -> Step:
    return call, ()


def _rejected(call: Call, event: CallEvent, now: datetime) -> Step:
    return end(call, Outcome.FAILED, now)


def _originate_result(call: Call, event: CallEvent, now: datetime) -> Step:
    assert isinstance(event, OriginateResult)
    call = replace(call, ast_reason=event.reason)
    if event.reason == 4:
        return _answered(call, event, now)
    return end(call, NOT_ANSWERED.get(event.reason, Outcome.FAILED), now)


def _late_reason(call: Call, event: CallEvent, now: datetime) -> Step:
    assert isinstance(event, OriginateResult)
    return stay(replace(call, ast_reason=event.reason))


def _answered(call: Call, event: CallEvent, now: datetime) -> Step:
    if call.state is not CallState.ORIGINATING:
        return stay(call)
    return stay(replace(call, state=CallState.ANSWERED, answered_at=now))


def _amd_done(call: Call, event: CallEvent, now: datetime) -> Step:
    assert isinstance(event, AmdDone)
    amd = Amd(status=event.status, cause=event.cause, ms=event.ms, action=event.action)
    if call.state is CallState.ORIGINATING:  # the OriginateResponse is still to come
        call = replace(call, state=CallState.ANSWERED, answered_at=now)
    return stay(replace(call, amd=amd))


def _agent_connected(call: Call, event: CallEvent, now: datetime) -> Step:
    assert isinstance(event, AgentConnected)
    answered_at = call.answered_at or now
    return stay(
        replace(
            call,
            state=CallState.CONNECTED,
            answered_at=answered_at,
            agent_connected_at=now,
            agent=event.agent,
            hold_s=held_s(event.hold_s, answered_at, now),
        )
    )


def held_s(told: float | None, answered_at: datetime, now: datetime) -> float:
    return told if told is not None else max(0.0, (now - answered_at).total_seconds())


def _queue_gave_up(call: Call, event: CallEvent, now: datetime) -> Step:
    return stay(replace(call, state=CallState.ABANDONING))


def _agent_call_ended(call: Call, event: CallEvent, now: datetime) -> Step:
    assert isinstance(event, AgentCallEnded)
    return stay(replace(call, talk_s=event.talk_s))


def _hung_up_after_answer(call: Call, event: CallEvent, now: datetime) -> Step:
    assert isinstance(event, HungUp)
    call = replace(call, hangup_cause=event.cause)
    if call.state is CallState.CONNECTED:
        return end(with_talk(call, now), Outcome.CONNECTED, now)
    if call.state is CallState.ANSWERED and call.amd and call.amd.action in MACHINE_ACTIONS:
        return end(call, Outcome.MACHINE, now)  # AMD's action, not a lack of agents
    return end(call, Outcome.ABANDONED, now)


def with_talk(call: Call, now: datetime) -> Call:
    """The call's talk time, from connect to hang-up when no AgentComplete gave it (a
    preview dial reaches its agent without the queue; or the hang-up came first)."""
    if call.talk_s is not None or call.agent_connected_at is None:
        return call
    return replace(call, talk_s=max(0.0, (now - call.agent_connected_at).total_seconds()))


def _hung_up_before_answer(call: Call, event: CallEvent, now: datetime) -> Step:
    # The Local/trunk channel can hang up before the OriginateResponse arrives: keep the
    # cause and let the OriginateResponse decide the outcome.
    assert isinstance(event, HungUp)
    return stay(replace(call, hangup_cause=event.cause))


def _orphaned(call: Call, event: CallEvent, now: datetime) -> Step:
    return stay(replace(call, state=CallState.ORPHANED, before_orphaned=call.state))


def _resynced(call: Call, event: CallEvent, now: datetime) -> Step:
    assert isinstance(event, Resynced)
    if event.still_live:
        seen = S.CONNECTED if event.bridged else S.ANSWERED if event.up else S.ORIGINATING
        previous = call.before_orphaned or seen
        return stay(replace(call, state=previous, before_orphaned=None))
    return end(call, Outcome.UNKNOWN, now)


def _unknown(call: Call, event: CallEvent, now: datetime) -> Step:
    return end(call, Outcome.UNKNOWN, now)


S = CallState
LIVE = (S.ORIGINATING, S.ANSWERED, S.CONNECTED, S.ABANDONING)
TABLE: dict[tuple[CallState, type], Handler] = {
    (S.ORIGINATING, OriginateRejected): _rejected,
    (S.ORIGINATING, OriginateResult): _originate_result,
    (S.ORIGINATING, CustomerAnswered): _answered,
    (S.ORIGINATING, AgentConnected): _agent_connected,
    (S.ORIGINATING, AmdDone): _amd_done,
    (S.ANSWERED, AmdDone): _amd_done,
    (S.ORIGINATING, HungUp): _hung_up_before_answer,
    (S.ANSWERED, OriginateResult): _late_reason,
    (S.ANSWERED, AgentConnected): _agent_connected,
    (S.ANSWERED, QueueGaveUp): _queue_gave_up,
    (S.ANSWERED, HungUp): _hung_up_after_answer,
    (S.CONNECTED, OriginateResult): _late_reason,
    (S.CONNECTED, AgentCallEnded): _agent_call_ended,
    (S.CONNECTED, HungUp): _hung_up_after_answer,
    (S.ABANDONING, OriginateResult): _late_reason,
    (S.ABANDONING, HungUp): _hung_up_after_answer,
    **{(state, ConnectionLost): _orphaned for state in LIVE},
    **{(state, GaveUpWaiting): _unknown for state in LIVE},
    (S.ORPHANED, Resynced): _resynced,
    (S.ORPHANED, GaveUpWaiting): _unknown,
}


def step(call: Call, event: CallEvent, now: datetime) -> Step:
    """Apply one event; unknown (state, event) pairs leave the call unchanged."""
    handler = TABLE.get((call.state, type(event)))
    if handler is None:
        return stay(call)
    return handler(call, event, now)
