"""Blended agents: an agent on an inbound call is forecast from that queue's handle times."""

from __future__ import annotations

from dataclasses import replace

from pacing import CallEnded, InboundEnded, PacingInputs, PacingState, decide, observe
from pacing.blended import MAX_QUEUES, MIN_LEARNT, Queues, inbound_rows, learned
from pacing.forecast import agents_free
from tests.unit.pacing.support import PREDICTIVE, predictive_inputs

CAMPAIGN_TALK_S = 300.0


def campaign_state() -> PacingState:
    """A campaign whose own calls last five minutes."""
    state = PacingState.initial(PREDICTIVE)
    for _ in range(200):
        state = observe(state, CallEnded(talk_s=CAMPAIGN_TALK_S))
    return state


def with_queue(state: PacingState, queue: str, talk_s: float, calls: int) -> PacingState:
    for _ in range(calls):
        state = observe(state, InboundEnded(queue=queue, talk_s=talk_s))
    return state


def on_inbound(queue: str, elapsed_s: float, agents: int = 6, ready: int = 2) -> PacingInputs:
    return replace(predictive_inputs(ready=ready), inbound=((queue, elapsed_s),) * agents)


def dials(inputs: PacingInputs, state: PacingState) -> int:
    return decide(inputs, state, now=0.0)[0].dials


def test_agents_on_short_inbound_calls_are_expected_free_sooner_than_campaign_calls() -> None:
    state = with_queue(campaign_state(), "support", talk_s=20.0, calls=100)
    inbound = dials(on_inbound("support", 15.0), state)
    as_campaign_calls = dials(predictive_inputs(ready=2, talking=(15.0,) * 6), state)
    assert inbound > as_campaign_calls >= 2
    assert inbound >= 5  # six agents 15 s into 20 s calls: most free within the ring time


def test_agents_on_long_inbound_calls_hold_dials_back() -> None:
    state = with_queue(campaign_state(), "support", talk_s=20.0, calls=100)
    state = with_queue(state, "complaints", talk_s=1800.0, calls=100)
    assert dials(on_inbound("complaints", 15.0), state) < dials(on_inbound("support", 15.0), state)


def test_a_queue_not_learnt_yet_is_forecast_with_the_campaign_model() -> None:
    state = with_queue(campaign_state(), "support", talk_s=20.0, calls=MIN_LEARNT - 1)
    young = decide(on_inbound("support", 15.0), state, now=0.0)[0]
    talking = decide(predictive_inputs(ready=2, talking=(15.0,) * 6), state, now=0.0)[0]
    assert young.dials == talking.dials
    assert young.agents_free_soon == talking.agents_free_soon


def test_an_unknown_queue_is_forecast_with_the_campaign_model() -> None:
    state = with_queue(campaign_state(), "support", talk_s=20.0, calls=100)
    unknown = decide(on_inbound("elsewhere", 15.0), state, now=0.0)[0]
    talking = decide(predictive_inputs(ready=2, talking=(15.0,) * 6), state, now=0.0)[0]
    assert unknown.agents_free_soon == talking.agents_free_soon


def test_agents_on_inbound_calls_are_staffed_but_not_ready() -> None:
    inputs = on_inbound("support", 15.0, agents=4, ready=0)
    assert (inputs.staffed_agents, inputs.ready_agents) == (4, 0)


def test_each_queue_learns_its_own_calls_with_the_campaign_mean_as_prior() -> None:
    state = campaign_state()
    queues = learned((), InboundEnded("a", 10.0), prior_talk_s=state.handle.mean_s)
    queues = learned(queues, InboundEnded("b", 50.0), prior_talk_s=state.handle.mean_s)
    queues = learned(queues, InboundEnded("a", 12.0), prior_talk_s=state.handle.mean_s)
    assert [(m.queue, m.tabled.handle.observed_calls) for m in queues] == [("a", 2.0), ("b", 1.0)]
    many: Queues = ()
    for n in range(MAX_QUEUES + 5):
        many = learned(many, InboundEnded(f"q{n}", 10.0), prior_talk_s=60.0)
    assert len(many) == MAX_QUEUES
    assert many[-1].queue == f"q{MAX_QUEUES + 4}"


def test_the_queue_table_is_built_only_for_queues_with_agents_on_calls() -> None:
    state = with_queue(campaign_state(), "support", talk_s=20.0, calls=100)
    state = with_queue(state, "idle", talk_s=20.0, calls=100)
    _, state = decide(on_inbound("support", 5.0), state, now=0.0)
    tables = {m.queue: m.tabled.table for m in state.queues}
    assert tables["support"] is not None
    assert tables["idle"] is None
    _, again = decide(on_inbound("support", 6.0), state, now=1.0)
    assert again.queues is state.queues  # nothing to rebuild: the same models


def test_inbound_rows_come_from_the_queue_table() -> None:
    state = with_queue(campaign_state(), "support", talk_s=20.0, calls=100)
    _, state = decide(on_inbound("support", 5.0), state, now=0.0)
    assert state.table is not None
    rows = inbound_rows((("support", 15.0),), state.queues, state.table)
    free = agents_free(predictive_inputs(ready=0), state.table, rows)
    as_campaign = agents_free(predictive_inputs(ready=0, talking=(15.0,)), state.table)
    late = [i for i, d in enumerate(state.table.deadlines_s) if d >= 5.0 + 10.0 + 1.0]
    assert late  # pickup points after the 5 s left and the 10 s wrap-up
    assert min(free.mean[i] for i in late) > 0.8  # the prior (the campaign mean) fades
    assert max(as_campaign.mean) < 0.2
