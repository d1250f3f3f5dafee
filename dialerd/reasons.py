"""Why a campaign is not dialling right now: structured reasons, from what the runner knows.

A dial round goes ami → pacing → claim → caller IDs → screening → Originate, and stops at
the first step that leaves nothing to dial. The runner records where its last round stopped
(`Stop`), what pacing saw and decided, and what became of its last batch of claimed phones
(`Batch`); `reasons` turns those facts into codes an operator (or a script) can act on, each
with a sentence saying what was seen. Pure: no I/O, no clock; `dialerd.status` calls it.

A round that placed dials has no reasons. A campaign whose last round found nothing due
explains it with its last batch (all on do-not-call lists, all outside their calling window,
no caller ID) and with the lead outlook (a cheap periodic query: is anything scheduled later
at all?) to tell "nothing due now" from "list exhausted".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from pacing import Decision, Mode, PacingInputs


class Code(enum.StrEnum):
    """Why no new dial is placed; the values are a public interface (docs/operations.md)."""

    STARTING = "starting"  # no dial round yet
    STOPPING = "stopping"  # disabled by a reload, or the daemon is draining
    AMI_DOWN = "ami_down"
    DATABASE_UNAVAILABLE = "database_unavailable"
    OUTCOMES_HELD = "outcomes_held"
    NO_AGENTS = "no_agents"  # nobody logged in and unpaused in the queue
    AGENTS_BUSY = "agents_busy"  # staffed agents, none ready (progressive)
    PACING_HOLDS = "pacing_holds"  # enough calls in flight for the agents expected free
    ABANDON_BUDGET_SPENT = "abandon_budget_spent"  # predictive: the window is over its aim
    LINES_AT_CAP = "lines_at_cap"  # every line the campaign may use is busy
    RATE_AT_CAP = "calls_per_second_at_cap"
    LINES_PER_AGENT_AT_CAP = "lines_per_agent_at_cap"
    NO_CALLER_ID = "no_caller_id"  # no pool number may be presented now
    ALL_DUE_ON_DNC = "all_due_on_dnc"  # every number of the last batch was on a DNC list
    DUE_ON_DNC = "due_on_dnc"  # some of them were
    ATTEMPT_LIMITS = "attempt_limits"  # held back by the campaign's attempt limits
    OUTSIDE_CALLING_WINDOW = "outside_calling_window"
    NOTHING_DUE_NOW = "nothing_due_now"  # phones are scheduled, none due yet
    LIST_EXHAUSTED = "list_exhausted"  # nothing due now nor scheduled later
    TRUNK_AT_CAP = "trunk_at_cap"  # the trunk's shared caps (or its share of them) allow none
    AGENTS_SHARED = "agents_shared"  # the queue's ready agents go to other campaigns on it


@dataclass(frozen=True, slots=True)
class Why:
    code: Code
    text: str


class Stop(enum.Enum):
    """Where the runner's last dial round stopped."""

    STARTING = "starting"
    AMI_DOWN = "ami_down"
    PACING = "pacing"  # the decision placed no dial
    DATABASE = "database"  # the claim failed
    OUTCOMES_HELD = "outcomes_held"  # results wait for the database or the journal
    NOTHING_DUE = "nothing_due"  # the claim came back empty
    SCREENED = "screened"  # phones were claimed, none was dialled
    DIALLED = "dialled"
    TRUNK_AT_CAP = "trunk_at_cap"  # pacing wanted dials, the shared trunk allowed none
    AGENTS_SHARED = "agents_shared"  # no dial: the queue's ready agents went to others


@dataclass(frozen=True, slots=True)
class Batch:
    """What became of one batch of claimed phones."""

    claimed: int
    dialled: int = 0
    no_caller_id: int = 0
    caller_id_reason: str = ""
    blocked: int = 0  # on a do-not-call list
    limited: int = 0  # held back by an attempt limit
    outside_window: int = 0

    @property
    def unaccounted(self) -> int:
        """Phones neither dialled nor held for a known reason: a check or write failed."""
        held = self.no_caller_id + self.blocked + self.limited + self.outside_window
        return max(0, self.claimed - self.dialled - held)


@dataclass(frozen=True, slots=True)
class LeadOutlook:
    """A campaign's schedule at a glance: its next due phone and calls in progress."""

    next_due_at: datetime | None  # the earliest scheduled phone, None when none is
    in_progress: int  # phones leased or being dialled
    read_at: datetime

    @property
    def exhausted(self) -> bool:
        return self.next_due_at is None and self.in_progress == 0


@dataclass(frozen=True, slots=True)
class RunnerFacts:
    """A runner's state as `reasons` needs it, copied in one step of the event loop."""

    stop: Stop
    stopping: bool
    decision: Decision
    inputs: PacingInputs | None  # what pacing saw in the last round that reached it
    queue: str
    batch: Batch | None  # the last batch of claimed phones
    outlook: LeadOutlook | None
    error: str = ""  # the database error of a failed claim


SIMPLE_STOPS = {
    Stop.STARTING: Why(Code.STARTING, "no dial round yet"),
    Stop.AMI_DOWN: Why(Code.AMI_DOWN, "the AMI connection to Asterisk is down: reconnecting"),
}


FAILED_STOPS = {  # stops whose text ends with the error (or the hold) seen
    Stop.DATABASE: (Code.DATABASE_UNAVAILABLE, "cannot claim due phones"),
    Stop.OUTCOMES_HELD: (Code.OUTCOMES_HELD, "no new calls until results are safe"),
    Stop.TRUNK_AT_CAP: (Code.TRUNK_AT_CAP, "no dial allowed by the shared trunk"),
    Stop.AGENTS_SHARED: (Code.AGENTS_SHARED, "no ready agent left for this campaign"),
}


def reasons(facts: RunnerFacts) -> list[Why]:
    """Why the last round placed no dial; empty when it placed some."""
    stop = facts.stop
    if facts.stopping:
        return [Why(Code.STOPPING, "campaign stopping: calls in progress end, no new dials")]
    if stop in SIMPLE_STOPS:
        return [SIMPLE_STOPS[stop]]
    if stop in FAILED_STOPS:
        code, text = FAILED_STOPS[stop]
        return [Why(code, f"{text}: {facts.error}")]
    if stop is Stop.PACING:
        return [pacing_hold(facts, facts.inputs)] if facts.inputs is not None else []
    held = batch_reasons(facts.batch) if facts.batch and not facts.batch.dialled else []
    if stop is Stop.NOTHING_DUE:
        return nothing_due(held, facts.outlook)
    return held if stop is Stop.SCREENED else []


def pacing_hold(facts: RunnerFacts, seen: PacingInputs) -> Why:
    """Why pacing placed no dial: no agents, the cap that bound, or the risk it allows."""
    mode = seen.settings.mode
    if seen.staffed_agents <= 0 and mode is not Mode.BROADCAST:
        return Why(Code.NO_AGENTS, f"no agent of queue {facts.queue} is logged in and unpaused")
    cap = cap_reached(seen)
    if cap is not None:
        return cap
    if mode is Mode.PROGRESSIVE and seen.ready_agents <= 0:
        staffed = seen.staffed_agents
        return Why(Code.AGENTS_BUSY, f"none of {staffed} agents is ready (talking, wrap-up)")
    window = seen.window
    if mode is Mode.PREDICTIVE and window.abandoned > 0 and facts.decision.budget_left <= 0:
        text = (
            f"abandon budget spent: {window.abandoned} of {window.answered} answered calls"
            f" abandoned ({window.rate:.2%}) over the window, target"
            f" {seen.settings.abandon_target:.2%}; pacing dials only at an abandon risk"
            f" under {facts.decision.risk_limit:.2%}"
        )
        return Why(Code.ABANDON_BUDGET_SPENT, text)
    return Why(Code.PACING_HOLDS, facts.decision.reason)


def cap_reached(seen: PacingInputs) -> Why | None:
    """The line, rate or per-agent cap that allows no dial now, if one does."""
    if seen.lines_free <= 0:
        return Why(Code.LINES_AT_CAP, "every line the campaign may use is busy (lines.max_lines)")
    if seen.dials_allowed_now <= 0:
        return Why(Code.RATE_AT_CAP, "the calls-per-second cap is reached")
    most = int(seen.settings.max_lines_per_agent * seen.staffed_agents + 1e-9)
    if seen.settings.mode is not Mode.BROADCAST and seen.in_flight >= most:
        return Why(Code.LINES_PER_AGENT_AT_CAP, f"{seen.in_flight} calls in flight, the cap")
    return None


def batch_reasons(batch: Batch) -> list[Why]:
    """Why none of a batch's claimed phones was dialled."""
    of = f"of {batch.claimed} due numbers"
    found: list[Why] = []
    if batch.no_caller_id:
        text = f"no caller ID available for {batch.no_caller_id} {of}: {batch.caller_id_reason}"
        found.append(Why(Code.NO_CALLER_ID, text))
    if batch.blocked == batch.claimed:
        found.append(
            Why(Code.ALL_DUE_ON_DNC, f"all {batch.claimed} due numbers are on a do-not-call list")
        )
    elif batch.blocked:
        found.append(Why(Code.DUE_ON_DNC, f"{batch.blocked} {of} are on a do-not-call list"))
    if batch.limited:
        found.append(Why(Code.ATTEMPT_LIMITS, f"{batch.limited} {of} held by attempt limits"))
    if batch.outside_window:
        text = f"{batch.outside_window} {of} are outside their calling window"
        found.append(Why(Code.OUTSIDE_CALLING_WINDOW, text))
    if batch.unaccounted:
        text = f"{batch.unaccounted} {of} could not be checked or written: see the log"
        found.append(Why(Code.DATABASE_UNAVAILABLE, text))
    return found


def nothing_due(held: list[Why], outlook: LeadOutlook | None) -> list[Why]:
    """The claim was empty: what the last batch met, and whether anything is left."""
    if outlook is not None and outlook.exhausted:
        return [*held, Why(Code.LIST_EXHAUSTED, "nothing due now nor scheduled later")]
    when = ""
    if outlook is not None and outlook.next_due_at is not None:
        when = f"; the next phone is due at {outlook.next_due_at.isoformat(timespec='seconds')}"
    window = [w for w in held if w.code is Code.OUTSIDE_CALLING_WINDOW]
    if window:  # the due phones went back until their window opens: that is the reason
        first = window[0]
        window_why = Why(first.code, f"every due number is outside its calling window{when}")
        return [window_why if w is first else w for w in held]
    return [*held, Why(Code.NOTHING_DUE_NOW, f"no phone is due now{when}")]
