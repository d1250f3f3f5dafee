"""`select(...) -> Selection`: which caller ID to present to one customer, and why.

A pure function: the pool, the destination, the customer's history and the pool's usage
are arguments, and so is the time. The answer lists candidates best first, each with a
reason a PBX admin can read; the store's atomic `reserve` takes the first that is still
free when the dial is about to happen. Order of the rules:

1. only active numbers carrying the campaign's tags;
2. never a caller ID shown on the customer's last K attempts, never above a cap, never
   inside a number's cooldown;
3. the number the customer once answered (when affinity is on);
4. tiers in the campaign's `prefer` order (same operator, area code, region, country, any),
   the least used (today's calls / weight) first within a tier.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from caller_id_pool.model import (
    Blocked,
    Candidate,
    Chosen,
    CustomerHistory,
    NoneAvailable,
    NumberState,
    PoolNumber,
    Profile,
    Rules,
    Selection,
    Tier,
    Usage,
    utc,
)

NO_USE = Usage()


def select(  # noqa: PLR0917 -- the documented call shape, mirrors pacing's decide()
    pool: Sequence[PoolNumber],
    destination: Profile,
    history: CustomerHistory,
    usage: Mapping[str, Usage],
    rules: Rules,
    now: datetime,
) -> Selection:
    usable = usable_numbers(pool, rules)
    if not usable:
        return NoneAvailable(no_usable_reason(pool, rules))
    recent = frozenset(history.presented[: rules.avoid_last])
    now = utc(now)
    eligible: list[PoolNumber] = []
    blocked: list[tuple[PoolNumber, str]] = []
    for number in usable:
        rule = broken_rule(number, recent, usage.get(number.number, NO_USE), now)
        if rule is None:
            eligible.append(number)
        else:
            blocked.append((number, rule))
    if not eligible:
        counts = Blocked(**Counter(rule for _, rule in blocked))
        return NoneAvailable(explain_blocked(counts, rules.avoid_last))
    ranked = rank(
        eligible, [n for n, _ in blocked], destination, history=history, usage=usage, rules=rules
    )
    if not ranked:
        return NoneAvailable(
            f"no free number matches the customer ({describe(destination)}); "
            f"the campaign allows only: {', '.join(rules.prefer)}"
        )
    return Chosen(tuple(ranked[: rules.max_candidates]))


def usable_numbers(pool: Iterable[PoolNumber], rules: Rules) -> tuple[PoolNumber, ...]:
    return tuple(n for n in pool if n.state is NumberState.ACTIVE and rules.tags <= n.tags)


def broken_rule(
    number: PoolNumber, recent: frozenset[str], use: Usage, now: datetime
) -> str | None:
    """The first rule taking `number` would break, as a `Blocked` field name, or None."""
    caps = number.caps
    if number.number in recent:
        return "seen"
    if use.today >= caps.per_day:
        return "daily_cap"
    if caps.per_hour is not None and use.this_hour >= caps.per_hour:
        return "hourly_cap"
    if use.this_minute >= caps.per_minute:
        return "minute_cap"
    last = use.last_used
    if caps.cooldown_s > 0 and last is not None and (now - last).total_seconds() < caps.cooldown_s:
        return "cooldown"
    return None


def rank(
    eligible: Sequence[PoolNumber],
    blocked: Sequence[PoolNumber],
    destination: Profile,
    *,
    history: CustomerHistory,
    usage: Mapping[str, Usage],
    rules: Rules,
) -> list[Candidate]:
    """Up to `rules.max_candidates`, best first; reasons are built only for those."""
    ranked: list[Candidate] = []
    remaining = list(eligible)
    if rules.affinity and history.answered_from is not None:
        for number in remaining:
            if number.number == history.answered_from:
                why = f"the customer answered this number before{used(number, usage)}"
                ranked.append(Candidate(number, why))
                remaining.remove(number)
                break
    for position, tier in enumerate(rules.prefer):
        room = rules.max_candidates - len(ranked)
        if room <= 0 or not applies(tier, destination):
            continue
        group = [n for n in remaining if matches(tier, n, destination)]
        if not group:
            continue
        best = heapq.nsmallest(room, group, key=lambda n: load(n, usage))
        phrase = tier_phrase(tier, destination)
        note = closer_note(blocked, destination, rules.prefer[:position])
        ranked += [Candidate(n, phrase(n) + used(n, usage) + note) for n in best]
        taken = {n.number for n in best}
        remaining = [n for n in remaining if n.number not in taken]
    return ranked


def closer_note(blocked: Sequence[PoolNumber], destination: Profile, better: Sequence[Tier]) -> str:
    """Say so when numbers of a better-matching tier were there but not free."""
    closer = sum(1 for n in blocked if any(matches(t, n, destination) for t in better))
    if not closer:
        return ""
    return f"; {closer} closer match{'es' if closer > 1 else ''} unavailable"


def applies(tier: Tier, destination: Profile) -> bool:
    """Whether anything can match `tier` for this destination (skips hopeless scans)."""
    if tier == "operator":
        return destination.operator is not None
    if tier == "area_code":
        return destination.area_code is not None
    if tier == "region":
        return destination.region is not None
    if tier == "country":
        return destination.country is not None
    return True


def matches(tier: Tier, number: PoolNumber, destination: Profile) -> bool:
    mine = number.profile
    same_country = mine.country is not None and mine.country == destination.country
    if tier == "operator":
        return same_country and mine.operator is not None and mine.operator == destination.operator
    if tier == "area_code":
        return mine.area_code is not None and mine.area_code == destination.area_code
    if tier == "region":
        return same_country and mine.region is not None and mine.region == destination.region
    if tier == "country":
        return same_country
    return True


def load(number: PoolNumber, usage: Mapping[str, Usage]) -> tuple[float, float, str]:
    use = usage.get(number.number, NO_USE)
    last = use.last_used.timestamp() if use.last_used is not None else float("-inf")
    return (use.today / number.weight, last, number.number)


def tier_phrase(tier: Tier, destination: Profile) -> Callable[[PoolNumber], str]:
    """How a candidate of `tier` is described, as a function of the number."""
    if tier == "operator":
        return lambda n: f"same operator {n.profile.operator}"
    if tier == "area_code":
        return lambda n: f"same area code +{n.profile.area_code}"
    if tier == "region":
        return lambda n: f"same region {n.profile.region}"
    if tier == "country":
        return lambda n: f"same country {n.profile.country}"
    customer = f"any number (customer: {describe(destination)})"
    return lambda _: customer


def used(number: PoolNumber, usage: Mapping[str, Usage]) -> str:
    today = usage.get(number.number, NO_USE).today
    return f", least used today ({today} of {number.caps.per_day} calls)"


def describe(destination: Profile) -> str:
    known = [
        f"operator {destination.operator}" if destination.operator else "",
        f"area code +{destination.area_code}" if destination.area_code else "",
        f"region {destination.region}" if destination.region else "",
        f"country {destination.country}" if destination.country else "",
    ]
    return ", ".join(part for part in known if part) or "nothing known"


# (one number, several numbers) for each `Blocked` field
_BLOCKED_WORDS = {
    "daily_cap": ("at its daily cap", "at their daily cap"),
    "hourly_cap": ("at its hourly cap", "at their hourly cap"),
    "minute_cap": ("at its per-minute cap", "at their per-minute cap"),
    "cooldown": ("in cooldown", "in cooldown"),
}


def explain_blocked(blocked: Blocked, avoid_last: int) -> str:
    """Why no usable number could be taken, in words a PBX admin can act on."""
    total = blocked.total
    if total == 1 and blocked.seen:
        return "only number is the one the customer saw last; add numbers to the pool"
    seen = "shown to this customer last"
    if avoid_last > 1:
        seen = f"shown to this customer in the last {avoid_last} attempts"
    words = {"seen": (seen, seen), **_BLOCKED_WORDS}
    counts = {name: getattr(blocked, name) for name in words if getattr(blocked, name)}
    if len(counts) == 1:
        ((name, _),) = counts.items()
        if total == 1:
            return f"the only number is {words[name][0]}"
        return f"all {total} numbers {words[name][1]}"
    parts = ", ".join(f"{count} {words[name][count > 1]}" for name, count in counts.items())
    return f"no number available: {parts}"


def no_usable_reason(pool: Sequence[PoolNumber], rules: Rules) -> str:
    if not pool:
        return "the pool has no numbers"
    states = Counter(n.state.value for n in pool)
    if not states[NumberState.ACTIVE.value]:
        listed = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        return f"no active number in the pool ({listed}); restore or add numbers"
    tags = ", ".join(sorted(rules.tags))
    return f"no active number carries the campaign's tags ({tags})"
