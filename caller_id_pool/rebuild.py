"""Recompute the shared state from the presentations PostgreSQL keeps on call attempts.

Used when the store is empty (a fresh Redis, or one that lost its data): the customer's
newest caller IDs, the number each customer last answered or called back, and each number's
usage in the current UTC day, hour and minute. A pure function; the stores apply its plan.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from caller_id_pool.model import (
    REMEMBER_CUSTOMER_DAYS,
    CustomerHistory,
    Presentation,
    StateChange,
    Usage,
    buckets,
    utc,
)


@dataclass(frozen=True, slots=True)
class RebuildPlan:
    customers: Mapping[str, CustomerHistory]
    usage: Mapping[str, Usage]  # numbers used in the current UTC day
    states: Mapping[str, StateChange]  # the newest change of each number
    presentations: int


def plan_rebuild(
    presentations: Iterable[Presentation],
    now: datetime,
    keep: int,
    states: Iterable[StateChange] = (),
) -> RebuildPlan:
    """Presentations older than REMEMBER_CUSTOMER_DAYS are ignored; the input needs no order."""
    now = utc(now)
    oldest = now - timedelta(days=REMEMBER_CUSTOMER_DAYS)
    newest: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    answered: dict[str, tuple[datetime, str]] = {}
    used: dict[str, list[datetime]] = defaultdict(list)
    count = 0
    for shown in presentations:
        at = utc(shown.presented_at)
        if at < oldest:
            continue
        count += 1
        if (shown.answered or shown.callback) and at >= answered.get(
            shown.customer_id, (oldest, "")
        )[0]:
            answered[shown.customer_id] = (at, shown.number)
        if shown.callback:
            continue
        _keep_newest(newest[shown.customer_id], (at, shown.number), keep)
        used[shown.number].append(at)
    customers = {
        customer: CustomerHistory(
            presented=tuple(number for _, number in sorted(newest.get(customer, []), reverse=True)),
            answered_from=answered[customer][1] if customer in answered else None,
        )
        for customer in newest.keys() | answered.keys()
    }
    return RebuildPlan(customers, _usage(used, now), _latest_states(states), count)


def _keep_newest(heap: list[tuple[datetime, str]], item: tuple[datetime, str], keep: int) -> None:
    heapq.heappush(heap, item)
    if len(heap) > keep:
        heapq.heappop(heap)


def _usage(used: Mapping[str, list[datetime]], now: datetime) -> dict[str, Usage]:
    current = buckets(now)
    usage = {}
    for number, times in used.items():
        marks = [buckets(at) for at in times]
        today = sum(1 for mark in marks if mark.day == current.day)
        if today:
            usage[number] = Usage(
                today=today,
                this_hour=sum(1 for mark in marks if mark.hour == current.hour),
                this_minute=sum(1 for mark in marks if mark.minute == current.minute),
                last_used=max(times),
            )
    return usage


def _latest_states(states: Iterable[StateChange]) -> dict[str, StateChange]:
    latest: dict[str, StateChange] = {}
    for change in states:
        if change.number not in latest or change.at >= latest[change.number].at:
            latest[change.number] = change
    return latest
