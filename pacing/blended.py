"""Blended agents: when an agent on an inbound call will be free, from that queue's calls.

An agent of the campaign's queue may also take calls of other (inbound) queues, or the
campaign queue's own callers. Such a call ends on that queue's handle times, not the
campaign's: a support line's 4-minute calls and a survey's 40-second ones say very
different things about an agent 30 s into a call. Each queue named in
`PacingInputs.inbound` gets its own talk-time model, learnt from `InboundEnded`
observations, and its own agent table; until a queue's model has seen `MIN_LEARNT`
calls, its agents are forecast with the campaign's model, as before any was learnt.

Inbound callers also compete for the agents pacing counts on: pacing.arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pacing.forecast import AgentTable, Tabled, lookup
from pacing.handle import HandleTimeModel

MIN_LEARNT = 10  # calls of a queue before its own model forecasts its agents
MAX_QUEUES = 32  # queues kept; a campaign's agents are rarely in more


@dataclass(frozen=True, slots=True)
class InboundEnded:
    """A call of an inbound queue, taken by one of the campaign's agents, ended."""

    queue: str
    talk_s: float


@dataclass(frozen=True, slots=True)
class QueueModel:
    queue: str
    tabled: Tabled


Queues = tuple[QueueModel, ...]


def learned(queues: Queues, ended: InboundEnded, prior_talk_s: float) -> Queues:
    """The queue models after one more ended inbound call; a new queue starts from the
    campaign's expected talk time as its prior."""
    for i, model in enumerate(queues):
        if model.queue == ended.queue:
            handle = model.tabled.handle.observed(ended.talk_s)
            updated = QueueModel(model.queue, replace(model.tabled, handle=handle))
            return (*queues[:i], updated, *queues[i + 1 :])
    handle = HandleTimeModel.with_prior(prior_talk_s).observed(ended.talk_s)
    return (*queues, QueueModel(ended.queue, Tabled(handle)))[-MAX_QUEUES:]


def refreshed(
    queues: Queues, wanted: frozenset[str], ends: tuple[float, ...], wrapup_s: float, now: float
) -> Queues:
    """Tables refreshed for the learnt queues that have agents on calls now; the same
    tuple when none changed."""
    models = [refreshed_model(m, wanted, ends, wrapup_s, now) for m in queues]
    if all(new is old for new, old in zip(models, queues, strict=True)):
        return queues
    return tuple(models)


def refreshed_model(
    model: QueueModel, wanted: frozenset[str], ends: tuple[float, ...], wrapup_s: float, now: float
) -> QueueModel:
    if model.queue not in wanted or model.tabled.handle.observed_calls < MIN_LEARNT:
        return model
    tabled = model.tabled.refreshed(ends, wrapup_s, now)
    return model if tabled is model.tabled else QueueModel(model.queue, tabled)


def inbound_rows(
    inbound: tuple[tuple[str, float], ...], queues: Queues, campaign: AgentTable
) -> list[tuple[float, ...]]:
    """The free-by-deadline row of each agent on an inbound call, from its queue's table
    when that queue is learnt, else from the campaign's."""
    tables = {m.queue: m.tabled.table for m in queues if m.tabled.table is not None}
    rows: list[tuple[float, ...]] = []
    for queue, elapsed_s in inbound:  # every table has the same PICKUP_POINTS deadlines
        rows.extend(lookup(tables.get(queue, campaign).rows, (elapsed_s,)))
    return rows
