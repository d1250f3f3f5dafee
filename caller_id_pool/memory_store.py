"""`InProcessStore`: the caller-ID state of a single node, in this process's memory.

Every method runs without awaiting in between, so on one event loop each is atomic, like
the Redis store's Lua scripts. The state is lost when the process ends: `needs_rebuild()`
is then true and `rebuild()` restores it from PostgreSQL. Also the store to use in tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from caller_id_pool.keys import HISTORY_KEEP
from caller_id_pool.model import (
    Blocked,
    Buckets,
    CustomerHistory,
    NoneAvailable,
    Presentation,
    RebuildReport,
    Reservation,
    ReserveRequest,
    Snapshot,
    StateChange,
    Usage,
    buckets,
    utc,
)
from caller_id_pool.rebuild import plan_rebuild
from caller_id_pool.selector import broken_rule, explain_blocked

KINDS = ("day", "hour", "minute")


@dataclass(slots=True)
class _Customer:
    seen: list[str] = field(default_factory=list)
    answered: str | None = None
    attempt: Reservation | None = None


class InProcessStore:
    def __init__(self, *, history_keep: int = HISTORY_KEEP) -> None:
        self._keep = history_keep
        self._counts: dict[tuple[str, str], tuple[str, int]] = {}  # (kind, number): bucket, n
        self._last: dict[str, datetime] = {}
        self._customers: dict[str, _Customer] = {}
        self._states: dict[str, StateChange] = {}
        self._rebuilt = False

    async def snapshot(
        self, customer_ids: Sequence[str], numbers: Sequence[str], now: datetime
    ) -> Snapshot:
        histories = tuple(self._history(customer_id) for customer_id in customer_ids)
        return Snapshot(histories, await self.usage(numbers, now))

    async def usage(self, numbers: Sequence[str], now: datetime) -> dict[str, Usage]:
        mark = buckets(now)
        return {number: self._usage_of(number, mark) for number in numbers}

    async def reserve(
        self, requests: Sequence[ReserveRequest], now: datetime
    ) -> list[Reservation | NoneAvailable]:
        return [self._reserve(request, utc(now)) for request in requests]

    async def release(self, reservation: Reservation) -> None:
        customer = self._customers.get(reservation.customer_id)
        if customer is None or customer.attempt is None:
            return
        if customer.attempt.attempt_id != reservation.attempt_id:
            return
        customer.attempt = None
        number, mark = reservation.number, buckets(reservation.reserved_at)
        for kind, bucket in zip(KINDS, (mark.day, mark.hour, mark.minute), strict=True):
            held, count = self._counts.get((kind, number), ("", 0))
            if held == bucket and count > 0:
                self._counts[(kind, number)] = (held, count - 1)
        if self._last.get(number) == reservation.reserved_at:
            self._put_last(number, reservation.previous_last_used)
        if customer.seen[:1] == [number]:
            customer.seen.pop(0)

    async def record_answer(self, customer_id: str, number: str) -> None:
        self._customers.setdefault(customer_id, _Customer()).answered = number

    async def states(self) -> dict[str, StateChange]:
        return dict(self._states)

    async def record_state(self, change: StateChange) -> None:
        self._states[change.number] = change

    async def needs_rebuild(self) -> bool:
        return not self._rebuilt

    async def rebuild(
        self,
        presentations: Iterable[Presentation],
        now: datetime,
        states: Iterable[StateChange] = (),
    ) -> RebuildReport:
        plan = plan_rebuild(presentations, now, self._keep, states)
        mark = buckets(now)
        for number, use in plan.usage.items():
            self._raise_usage(number, use, mark)
        for customer_id, history in plan.customers.items():
            if customer_id not in self._customers:
                self._customers[customer_id] = _Customer(
                    list(history.presented), history.answered_from
                )
        for number, change in plan.states.items():
            self._states.setdefault(number, change)
        self._rebuilt = True
        return RebuildReport(
            plan.presentations, len(plan.customers), len(plan.usage), len(plan.states)
        )

    def _history(self, customer_id: str) -> CustomerHistory:
        customer = self._customers.get(customer_id)
        if customer is None:
            return CustomerHistory()
        return CustomerHistory(tuple(customer.seen), customer.answered)

    def _reserve(self, request: ReserveRequest, now: datetime) -> Reservation | NoneAvailable:
        customer = self._customers.setdefault(request.customer_id, _Customer())
        if customer.attempt is not None and customer.attempt.attempt_id == request.attempt_id:
            return customer.attempt
        mark, recent = buckets(now), frozenset(customer.seen[: request.avoid_last])
        broken: Counter[str] = Counter()
        for candidate in request.candidates:
            rule = broken_rule(candidate, recent, self._usage_of(candidate.number, mark), now)
            if rule is None:
                return self._take(customer, request, candidate.number, now)
            broken[rule] += 1
        why = explain_blocked(Blocked(**broken), request.avoid_last)
        return NoneAvailable("at reservation: " + why)

    def _usage_of(self, number: str, mark: Buckets) -> Usage:
        day, hour, minute = (
            self._count(kind, number, bucket)
            for kind, bucket in zip(KINDS, (mark.day, mark.hour, mark.minute), strict=True)
        )
        return Usage(day, hour, minute, self._last.get(number))

    def _count(self, kind: str, number: str, bucket: str) -> int:
        held, count = self._counts.get((kind, number), ("", 0))
        return count if held == bucket else 0

    def _take(
        self, customer: _Customer, request: ReserveRequest, number: str, now: datetime
    ) -> Reservation:
        mark = buckets(now)
        for kind, bucket in zip(KINDS, (mark.day, mark.hour, mark.minute), strict=True):
            self._counts[(kind, number)] = (bucket, self._count(kind, number, bucket) + 1)
        previous = self._last.get(number)
        self._last[number] = now
        customer.seen = [number, *customer.seen][: self._keep]
        customer.attempt = Reservation(
            request.customer_id, request.attempt_id, number, now, previous
        )
        return customer.attempt

    def _put_last(self, number: str, when: datetime | None) -> None:
        if when is None:
            self._last.pop(number, None)
        else:
            self._last[number] = when

    def _raise_usage(self, number: str, use: Usage, mark: Buckets) -> None:
        counts = (use.today, use.this_hour, use.this_minute)
        for kind, bucket, count in zip(
            KINDS, (mark.day, mark.hour, mark.minute), counts, strict=True
        ):
            if count > self._count(kind, number, bucket):
                self._counts[(kind, number)] = (bucket, count)
        last = self._last.get(number)
        if use.last_used is not None and (last is None or use.last_used > last):
            self._last[number] = use.last_used
