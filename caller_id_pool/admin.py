"""What `dialerd caller-id list|retire|restore` and the health job do to the pool.

A number's configured attributes come from the campaign YAML; its state (active,
quarantined, retired) lives in the store, so that every node sees a retirement at once.
Each change returns the `StateChange` audit event for the daemon to log and count.

Allowed changes::

    active ──quarantine──> quarantined ──restore──> active
      │                        │
      └──────retire──────> retired <──retire──┘      retired ──restore──> active
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from caller_id_pool.errors import InvalidTransition
from caller_id_pool.health import Verdict, quarantines
from caller_id_pool.model import NumberState, PoolNumber, StateChange, Usage, utc
from caller_id_pool.store import CallerIdStore

ALLOWED = {
    NumberState.ACTIVE: {NumberState.QUARANTINED, NumberState.RETIRED},
    NumberState.QUARANTINED: {NumberState.ACTIVE, NumberState.RETIRED},
    NumberState.RETIRED: {NumberState.ACTIVE},
}


@dataclass(frozen=True, slots=True)
class NumberStatus:
    number: PoolNumber  # with its current state
    usage: Usage
    change: StateChange | None  # the last state change: why, when, by whom
    verdict: Verdict | None  # the last health check, if one was given


def with_states(
    pool: Iterable[PoolNumber], states: Mapping[str, StateChange]
) -> tuple[PoolNumber, ...]:
    """The pool with each number in the state the store recorded for it last."""
    return tuple(
        replace(n, state=states[n.number].state) if n.number in states else n for n in pool
    )


def restored_at(states: Mapping[str, StateChange]) -> dict[str, datetime]:
    """When each restored number was restored: the health check ignores what came before."""
    return {n: c.at for n, c in states.items() if c.state is NumberState.ACTIVE}


def transition(
    number: PoolNumber, target: NumberState, reason: str, now: datetime, actor: str
) -> StateChange:
    """The audit event for moving `number` to `target`; refuses changes that do not apply."""
    if target not in ALLOWED[number.state]:
        raise InvalidTransition(
            f"{number.number} is {number.state.value}; it cannot become {target.value}"
        )
    if not reason.strip():
        raise InvalidTransition("a state change needs a reason for the audit log")
    return StateChange(number.number, number.state, target, reason.strip(), utc(now), actor)


async def pool_status(
    pool: Sequence[PoolNumber],
    store: CallerIdStore,
    now: datetime,
    verdicts: Iterable[Verdict] = (),
) -> tuple[NumberStatus, ...]:
    states = await store.states()
    usage = await store.usage([n.number for n in pool], now)
    by_number = {v.number: v for v in verdicts}
    return tuple(
        NumberStatus(n, usage.get(n.number, Usage()), states.get(n.number), by_number.get(n.number))
        for n in with_states(pool, states)
    )


async def change_state(
    pool: Sequence[PoolNumber],
    store: CallerIdStore,
    number: str,
    target: NumberState,
    *,
    reason: str,
    now: datetime,
    actor: str = "admin",
) -> StateChange:
    current = {n.number: n for n in with_states(pool, await store.states())}
    if number not in current:
        raise InvalidTransition(f"{number} is not in the pool")
    change = transition(current[number], target, reason, now, actor)
    await store.record_state(change)
    return change


async def retire(
    pool: Sequence[PoolNumber],
    store: CallerIdStore,
    number: str,
    *,
    reason: str,
    now: datetime,
    actor: str = "admin",
) -> StateChange:
    return await change_state(
        pool, store, number, NumberState.RETIRED, reason=reason, now=now, actor=actor
    )


async def restore(
    pool: Sequence[PoolNumber],
    store: CallerIdStore,
    number: str,
    *,
    reason: str,
    now: datetime,
    actor: str = "admin",
) -> StateChange:
    return await change_state(
        pool, store, number, NumberState.ACTIVE, reason=reason, now=now, actor=actor
    )


async def apply_health(
    pool: Sequence[PoolNumber],
    store: CallerIdStore,
    verdicts: Iterable[Verdict],
    now: datetime,
) -> tuple[StateChange, ...]:
    """Quarantine every flagged number that is still active; the events are returned."""
    current = with_states(pool, await store.states())
    changes = quarantines(verdicts, current, utc(now))
    for change in changes:
        await store.record_state(change)
    return changes


def render_status(statuses: Iterable[NumberStatus]) -> str:
    """The table `dialerd caller-id list` prints."""
    header = ("number", "state", "operator", "region", "today", "cap/day", "last used", "why")
    rows = [header]
    for s in statuses:
        last = s.usage.last_used
        why = s.change.reason if s.change is not None else ""
        if s.verdict is not None and s.number.state is NumberState.ACTIVE:
            why = s.verdict.reason
        profile = s.number.profile
        rows.append(
            (
                s.number.number,
                s.number.state.value,
                profile.operator or "-",
                profile.region or profile.area_code or "-",
                str(s.usage.today),
                str(s.number.caps.per_day),
                last.strftime("%Y-%m-%d %H:%M:%S") if last else "-",
                why,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    )
