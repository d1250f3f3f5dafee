"""Random sequences of dials for the selection property, and the invariants they must keep.

`run_scenario` drives a store exactly as the daemon does (`reserve_caller_ids` for a tick's
dials, then `release` for each dial not placed, `record_answer` when the customer answers);
`check_invariants` replays the log against a plain model of the reservations in force.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import strategies as st

from caller_id_pool import (
    CallerIdStore,
    Caps,
    Dial,
    NoneAvailable,
    NumberState,
    PoolNumber,
    Reservation,
    Rules,
    Usage,
    reserve_caller_ids,
)
from caller_id_pool.model import buckets
from tests.unit.caller_id_pool.support import NOW, destination, pool_of

NUMBERS = (
    "+380671234567",
    "+380681234567",
    "+380501234567",
    "+380631234567",
    "+380442345678",
    "+79161234567",
    "+79261234567",
    "+79031234567",
)
DESTINATIONS = ("+380971112233", "+380991112233", "+380931112233", "+79851112233", "+74951112233")
STEPS_S = (0, 1, 5, 30, 61, 600, 3600, 86_400)


@dataclass(frozen=True)
class Step:
    customer: str
    advance_s: int
    destination: str
    placed: bool  # False: the dial was not placed, the reservation is released
    answered: bool
    same_tick: bool  # reserved in one batch with the step before


@dataclass(frozen=True)
class Scenario:
    pool: tuple[PoolNumber, ...]
    rules: Rules
    steps: tuple[Step, ...]


Reserved = tuple[Step, datetime, Reservation | NoneAvailable]
Event = Reserved | Reservation  # a reservation alone: it was released

caps = st.builds(
    Caps,
    per_day=st.integers(1, 6),
    per_hour=st.none() | st.integers(1, 4),
    per_minute=st.integers(1, 3),
    cooldown_s=st.sampled_from((0.0, 0.0, 10.0, 45.0, 120.0)),
)


@st.composite
def scenarios(draw: st.DrawFn, max_attempts: int = 60) -> Scenario:
    chosen = draw(st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=6, unique=True))
    active = [replace(pool_of(n)[0], caps=draw(caps)) for n in chosen]
    paused = [replace(pool_of(n)[0], state=NumberState.QUARANTINED) for n in NUMBERS[:1]]
    tiers = draw(st.permutations(("operator", "area_code", "region", "country")))
    rules = Rules(
        avoid_last=draw(st.integers(1, 3)),
        prefer=(*tiers[: draw(st.integers(0, 4))], "any"),
        affinity=draw(st.booleans()),
    )
    steps = draw(st.lists(steps_(), min_size=1, max_size=max_attempts))
    pool = tuple(active + [p for p in paused if p.number not in chosen])
    return Scenario(pool, rules, tuple(steps))


def steps_() -> st.SearchStrategy[Step]:
    return st.builds(
        Step,
        customer=st.sampled_from(("c1", "c2", "c3")),
        advance_s=st.sampled_from(STEPS_S),
        destination=st.sampled_from(DESTINATIONS),
        placed=st.booleans() | st.just(True),
        answered=st.booleans(),
        same_tick=st.booleans(),
    )


async def run_scenario(store: CallerIdStore, scenario: Scenario) -> list[Event]:
    log: list[Event] = []
    now = NOW
    for number, tick in enumerate(ticks(scenario.steps)):
        now += timedelta(seconds=tick[0].advance_s)
        dials = [
            Dial(s.customer, f"a{number}-{s.customer}", destination(s.destination)) for s in tick
        ]
        results = await reserve_caller_ids(store, scenario.pool, dials, scenario.rules, now)
        log += [(step, now, result) for step, result in zip(tick, results, strict=True)]
        for step, result in zip(tick, results, strict=True):
            if isinstance(result, Reservation) and not step.placed:
                await store.release(result)
                log.append(result)
            elif isinstance(result, Reservation) and step.answered:
                await store.record_answer(step.customer, result.number)
    final = await store.usage([n.number for n in scenario.pool], now)
    check_final_usage(scenario, log, final, now)
    return log


def ticks(steps: Sequence[Step]) -> list[list[Step]]:
    """Consecutive steps marked `same_tick` are one batch (one dial tick), as long as each
    customer has one dial in it (a lead is dialled once at a time)."""
    batches: list[list[Step]] = []
    for step in steps:
        if step.same_tick and batches and step.customer not in {s.customer for s in batches[-1]}:
            batches[-1].append(step)
        else:
            batches.append([step])
    return batches


def check_invariants(scenario: Scenario, log: list[Event]) -> None:
    """Every reservation kept every rule; every refusal was right to refuse."""
    model = Dialled()
    usable = [n for n in scenario.pool if n.state is NumberState.ACTIVE]
    avoid = scenario.rules.avoid_last
    for event in log:
        if isinstance(event, Reservation):
            model.undo(event.customer_id, event.number)
            continue
        step, now, result = event
        free = [n for n in usable if model.allows(n, step.customer, avoid, now)]
        if isinstance(result, NoneAvailable):
            assert not free, f"refused ({result.reason}) although {free[0].number} was free"
            continue
        assert result.number in {n.number for n in free}, (result, model.seen[step.customer])
        model.dial(step.customer, result.number, now)
    for customer, seen in model.seen.items():
        assert all(a != b for a, b in pairwise(seen)), (customer, seen)


def check_final_usage(
    scenario: Scenario, log: list[Event], final: dict[str, Usage], now: datetime
) -> None:
    model = Dialled()
    for event in log:
        if isinstance(event, Reservation):
            model.undo(event.customer_id, event.number)
        elif isinstance(event[2], Reservation):
            model.dial(event[0].customer, event[2].number, event[1])
    for number in scenario.pool:
        day, hour, minute = model.counts(number.number, now)
        use = final[number.number]
        assert (use.today, use.this_hour, use.this_minute) == (day, hour, minute), number
        assert day <= number.caps.per_day


class Dialled:
    """What was really dialled: per customer the caller IDs in order, per number the times."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = defaultdict(list)
        self.times: dict[str, list[datetime]] = defaultdict(list)

    def dial(self, customer: str, number: str, now: datetime) -> None:
        self.seen[customer].append(number)
        self.times[number].append(now)

    def undo(self, customer: str, number: str) -> None:
        """A released reservation: it was the customer's newest and the number's latest."""
        assert self.seen[customer][-1] == number
        self.seen[customer].pop()
        self.times[number].pop()

    def counts(self, number: str, now: datetime) -> tuple[int, int, int]:
        mark, marks = buckets(now), [buckets(t) for t in self.times[number]]
        return (
            sum(m.day == mark.day for m in marks),
            sum(m.hour == mark.hour for m in marks),
            sum(m.minute == mark.minute for m in marks),
        )

    def allows(self, number: PoolNumber, customer: str, avoid_last: int, now: datetime) -> bool:
        if number.number in self.seen[customer][-avoid_last:]:
            return False
        day, hour, minute = self.counts(number.number, now)
        caps = number.caps
        if day >= caps.per_day or minute >= caps.per_minute:
            return False
        if caps.per_hour is not None and hour >= caps.per_hour:
            return False
        last = max(self.times[number.number], default=None)
        return last is None or (now - last).total_seconds() >= caps.cooldown_s
