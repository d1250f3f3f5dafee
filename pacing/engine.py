"""`decide` and `observe`: the functions production and the simulator both call.

    state = PacingState.initial(settings)
    state = observe(state, DialEnded(ring_s=18.2, answered=True))    # as results come in
    state = observe(state, CallEnded(talk_s=95.0))
    state = observe(state, CallAbandoned())
    decision, state = decide(inputs, state, now=clock.monotonic())  # on each tick

Every mode obeys the same guards: free lines, the calls-per-second allowance and, for
the modes with agents, a cap on calls in flight per staffed agent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from pacing.arrivals import ArrivalRate, InboundConnected
from pacing.blended import InboundEnded, Queues, inbound_rows, learned, refreshed
from pacing.controller import Calibration, risk_limit
from pacing.forecast import AgentTable, Outlook, Tabled, agents_free, deadlines, outlook
from pacing.handle import HandleTimeModel
from pacing.inputs import Decision, Mode, PacingInputs, PacingSettings
from pacing.ring import RingModel
from pacing.risk import dials_within


@dataclass(frozen=True, slots=True)
class DialEnded:
    """An originated call got its result: answered, or not (busy, no answer, failure).

    With answering machine detection, `answered` means "queued for an agent", learnt when
    AMD is done (`ring_s` then includes AMD's time), and `machine` that AMD said MACHINE: a
    machine not sent to an agent is not an answer to pacing, and its share is learnt apart."""

    ring_s: float
    answered: bool
    machine: bool = False


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A call with an agent ended; `talk_s` is connect to hang-up (wrap-up excluded)."""

    talk_s: float


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """An answered call found no agent within the grace and was dropped."""


Observation = DialEnded | CallEnded | CallAbandoned | InboundEnded | InboundConnected

MACHINE_FADE = 0.02  # weight of each new classified answer in the machine share


@dataclass(frozen=True, slots=True)
class MachineShare:
    """The share of answers AMD called machines, faded so it follows the list being dialled."""

    share: float = 0.0
    seen: int = 0

    def observed(self, machine: bool) -> MachineShare:
        weight = max(MACHINE_FADE, 1.0 / (self.seen + 1))
        return MachineShare(self.share + weight * (float(machine) - self.share), self.seen + 1)


@dataclass(frozen=True, slots=True)
class PacingState:
    handle: HandleTimeModel
    ring: RingModel
    table: AgentTable | None = None
    table_built_at: float = -math.inf
    calibration: Calibration = field(default_factory=Calibration)
    table_calls: float = 0.0  # talk times the model had seen when the table was built
    machines: MachineShare = field(default_factory=MachineShare)
    queues: Queues = ()  # inbound queues' talk-time models (pacing.blended)
    arrivals: ArrivalRate = field(default_factory=ArrivalRate)  # inbound callers (pacing.arrivals)

    @classmethod
    def initial(cls, settings: PacingSettings) -> PacingState:
        return cls(HandleTimeModel.with_prior(settings.expected_talk_s), RingModel.with_prior())


def observe(state: PacingState, observation: Observation) -> PacingState:
    handle, ring, calibration = state.handle, state.ring, state.calibration
    machines = state.machines
    if isinstance(observation, InboundEnded):  # a new queue's prior: the campaign's mean
        return replace(state, queues=learned(state.queues, observation, state.handle.mean_s))
    if isinstance(observation, InboundConnected):
        return replace(state, arrivals=state.arrivals.observed(observation.at_s))
    if isinstance(observation, DialEnded):
        ring = ring.observed(observation.ring_s, observation.answered)
        if observation.machine or observation.answered:
            machines = machines.observed(observation.machine)
    elif isinstance(observation, CallEnded):
        handle = handle.observed(observation.talk_s)
    else:
        calibration = calibration.abandoned()
    return replace(state, handle=handle, ring=ring, calibration=calibration, machines=machines)


def decide(inputs: PacingInputs, state: PacingState, now: float) -> tuple[Decision, PacingState]:
    mode = inputs.settings.mode
    if mode is Mode.PREDICTIVE:
        return predictive(inputs, state, now)
    if mode is Mode.PROGRESSIVE:
        return progressive(inputs), state
    if mode is Mode.PREVIEW:
        return preview(inputs), state
    return broadcast(inputs), state


def preview(inputs: PacingInputs) -> Decision:
    wanted = inputs.next_lead_requests
    return guarded(wanted, inputs, f"{wanted} agents asked for their next lead")


def progressive(inputs: PacingInputs) -> Decision:
    ready = inputs.ready_agents
    if ready <= 0:
        return Decision(0, "no ready agents")
    target = math.floor(ready * inputs.settings.dial_ratio + 1e-9)
    wanted = max(0, target - inputs.in_flight)
    why = (
        f"{ready} ready agents x ratio {inputs.settings.dial_ratio:g}, {inputs.in_flight} in flight"
    )
    return guarded(wanted, inputs, why)


def broadcast(inputs: PacingInputs) -> Decision:
    wanted = inputs.lines_free
    return guarded(wanted, inputs, f"agentless: filling {wanted} free lines", per_agent=False)


def predictive(
    inputs: PacingInputs, state: PacingState, now: float
) -> tuple[Decision, PacingState]:
    if inputs.staffed_agents <= 0:
        return Decision(0, "no agents logged in and unpaused"), state
    on_calls = frozenset(queue for queue, _ in inputs.inbound)
    state = with_table(state, inputs.settings, now, inputs.grace_left_s, on_calls)
    assert state.table is not None  # with_table always leaves one
    inbound = inbound_rows(inputs.inbound, state.queues, state.table)
    free = agents_free(inputs, state.table, inbound)
    view = outlook(inputs, free, state.ring.fit, state.arrivals.per_s(now))
    return place(inputs, view, state)


def place(inputs: PacingInputs, view: Outlook, state: PacingState) -> tuple[Decision, PacingState]:
    """Predictive dials for an outlook: as many as the risk limit allows, then guards.
    The state remembers the abandons the model expects from them, for calibration."""
    answer_share = state.ring.fit.answer_share
    limit, budget = risk_limit(inputs.window, inputs.settings.abandon_target, state.calibration)
    most = room(inputs, per_agent=True)[0]
    n, next_risk = dials_within(view, limit, max(0, most))
    why = (
        f"{view.free_soon:.1f} agents expected free vs {view.answering_soon:.1f} answers due"
        f" from {inputs.in_flight} in flight (answer rate {answer_share:.0%});"
        f" next dial's abandon risk {next_risk:.1%}, limit {limit:.1%};"
        f"{machine_text(state)}"
        f" window {inputs.window.rate:.2%} of {inputs.window.answered} answered,"
        f" budget {budget:+.1f} calls"
    )
    decision = guarded(n, inputs, why)
    # as if every dial carried the limit's risk: calibration learns the rate per limit
    expected = answer_share * limit * decision.dials
    state = replace(state, calibration=state.calibration.placed(expected))
    metrics = replace(
        decision, agents_free_soon=view.free_soon, risk_limit=limit, budget_left=budget
    )
    return metrics, state


def machine_text(state: PacingState) -> str:
    machines = state.machines
    return f" machines {machines.share:.0%} of answers;" if machines.seen else ""


def with_table(
    state: PacingState,
    settings: PacingSettings,
    now: float,
    grace_s: float | None = None,
    inbound_queues: frozenset[str] = frozenset(),
) -> PacingState:
    """The state with agent tables fit for the current models (`Tabled.refreshed`): the
    campaign's, and those of the inbound queues its agents are on calls of. A table
    still built from the prior after a start would mis-pace the first minutes."""
    ends = deadlines(state.ring.fit, settings.grace_s if grace_s is None else grace_s)
    own = Tabled(state.handle, state.table, state.table_built_at, state.table_calls)
    own = own.refreshed(ends, settings.wrapup_s, now)
    queues = refreshed(state.queues, inbound_queues, ends, settings.wrapup_s, now)
    if own.table is state.table and queues is state.queues:
        return state
    return replace(
        state,
        table=own.table,
        table_built_at=own.built_at,
        table_calls=own.built_calls,
        queues=queues,
    )


def guarded(wanted: int, inputs: PacingInputs, why: str, per_agent: bool = True) -> Decision:
    """`wanted` dials cut to the line, rate and per-agent caps, with the reason."""
    cap, cap_why = room(inputs, per_agent)
    dials = max(0, min(wanted, cap))
    reason = f"{dials} dials: {why}"
    if wanted > cap:
        reason += f"; {cap_why} allows {max(0, cap)} of {wanted}"
    staffed = inputs.staffed_agents
    level = (inputs.in_flight + dials) / staffed if staffed else 0.0
    return Decision(dials, reason, dial_level=level)


def room(inputs: PacingInputs, per_agent: bool) -> tuple[int, str]:
    """The tightest cap on new dials now, and its name."""
    caps = [(inputs.lines_free, "line cap"), (inputs.dials_allowed_now, "calls-per-second cap")]
    if per_agent:
        most = math.floor(inputs.settings.max_lines_per_agent * inputs.staffed_agents + 1e-9)
        caps.append((most - inputs.in_flight, "lines-per-agent cap"))
    return min(caps)
