"""The shared state behind the selector, and the calls the daemon makes to get caller IDs.

`CallerIdStore` has two implementations with the same behaviour (one contract test suite
runs against both): `InProcessStore` for a single node, `RedisStore` for several nodes.
A dial tick that places several calls asks for all their caller IDs at once: one read and
one atomic write for the whole batch.

    dials = [Dial(str(lead_id), str(attempt_id), classifier.profile(number)), ...]
    for dial, result in zip(dials, await reserve_caller_ids(store, pool, dials, rules, now)):
        if isinstance(result, NoneAvailable):   # defer this dial; result.reason says why
            ...
        # originate with result.number; if it is not sent: await store.release(result)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from caller_id_pool.model import (
    Chosen,
    Dial,
    NoneAvailable,
    PoolNumber,
    Presentation,
    Profile,
    RebuildReport,
    Reservation,
    ReserveRequest,
    Rules,
    Snapshot,
    StateChange,
    Usage,
    utc,
)
from caller_id_pool.selector import NO_USE, select, usable_numbers

Result = Reservation | NoneAvailable


class CallerIdStore(Protocol):
    async def snapshot(
        self, customer_ids: Sequence[str], numbers: Sequence[str], now: datetime
    ) -> Snapshot:
        """The customers' histories and the usage of `numbers` at `now`, read together."""

    async def reserve(self, requests: Sequence[ReserveRequest], now: datetime) -> list[Result]:
        """For each request in turn, atomically take its first candidate that breaks no rule.

        Repeat-safe: a request whose attempt id already holds a reservation gets it again.
        """

    async def release(self, reservation: Reservation) -> None:
        """Undo a reservation whose dial was not placed (a second release does nothing)."""

    async def record_answer(self, customer_id: str, number: str) -> None:
        """Remember the number the customer answered or called back (for affinity)."""

    async def usage(self, numbers: Sequence[str], now: datetime) -> Mapping[str, Usage]: ...

    async def states(self) -> Mapping[str, StateChange]:
        """The newest state change of every number that has one."""

    async def record_state(self, change: StateChange) -> None: ...

    async def needs_rebuild(self) -> bool:
        """True when the store has never been rebuilt or lost its data."""

    async def rebuild(
        self,
        presentations: Iterable[Presentation],
        now: datetime,
        states: Iterable[StateChange] = (),
    ) -> RebuildReport:
        """Merge state recomputed from PostgreSQL's presentations; nothing newer is lost."""


async def reserve_caller_ids(
    store: CallerIdStore,
    pool: Sequence[PoolNumber],
    dials: Sequence[Dial],
    rules: Rules,
    now: datetime,
) -> list[Result]:
    """Select and reserve a caller ID for each dial (in order): one read, one atomic write.

    A customer (lead) has at most one dial in flight: one per batch, and a reservation is
    released (if its dial is not placed) before the customer's next one is made.
    """
    customers = [d.customer_id for d in dials]
    if len(set(customers)) != len(customers):
        raise ValueError("a customer has one dial in flight at a time: one per batch")
    numbers = [n.number for n in usable_numbers(pool, rules)]
    snapshot = await store.snapshot(customers, numbers, now)
    plans = plan_batch(pool, dials, snapshot, rules, now)
    requests = [
        ReserveRequest(
            d.customer_id, d.attempt_id, tuple(c.number for c in p.candidates), rules.avoid_last
        )
        for d, p in zip(dials, plans, strict=True)
        if isinstance(p, Chosen)
    ]
    reserved = iter(await store.reserve(requests, now) if requests else [])
    return [
        plan if isinstance(plan, NoneAvailable) else explained(plan, next(reserved))
        for plan in plans
    ]


def plan_batch(
    pool: Sequence[PoolNumber],
    dials: Sequence[Dial],
    snapshot: Snapshot,
    rules: Rules,
    now: datetime,
) -> list[Chosen | NoneAvailable]:
    """`select` for each dial; each choice counts as used for the dials after it, so that
    a batch spreads over the pool as the same dials one by one would."""
    usage = dict(snapshot.usage)
    plans: list[Chosen | NoneAvailable] = []
    for dial, history in zip(dials, snapshot.histories, strict=True):
        plan = select(pool, dial.destination, history, usage, rules, now)
        if isinstance(plan, Chosen):
            usage[plan.number.number] = counted(usage.get(plan.number.number, NO_USE), now)
        plans.append(plan)
    return plans


async def reserve_caller_id(
    store: CallerIdStore,
    pool: Sequence[PoolNumber],
    destination: Profile,
    *,
    customer_id: str,
    attempt_id: str,
    rules: Rules,
    now: datetime,
) -> Result:
    """The same for a single dial."""
    dial = Dial(customer_id, attempt_id, destination)
    (result,) = await reserve_caller_ids(store, pool, [dial], rules, now)
    return result


def counted(use: Usage, now: datetime) -> Usage:
    return Usage(use.today + 1, use.this_hour + 1, use.this_minute + 1, utc(now))


def explained(plan: Chosen, result: Result) -> Result:
    """The reservation with the reason of the candidate the store took."""
    if isinstance(result, NoneAvailable):
        return result
    reasons = (c.reason for c in plan.candidates if c.number.number == result.number)
    return replace(result, reason=next(reasons, "reserved earlier for this attempt"))
