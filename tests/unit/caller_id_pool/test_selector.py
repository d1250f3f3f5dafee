"""The selector's rules and the reasons it gives, one at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from caller_id_pool import (
    Caps,
    Chosen,
    CustomerHistory,
    NoneAvailable,
    NumberState,
    PoolNumber,
    Profile,
    Rules,
    Selection,
    Usage,
    select,
)
from tests.unit.caller_id_pool.support import (
    KYIV_LANDLINE,
    KYIVSTAR,
    LIFECELL,
    MOSCOW_LANDLINE,
    MTS,
    NOW,
    VODAFONE_UA,
    destination,
    pool_of,
)

KYIVSTAR_2 = "+380971234567"
POOL = pool_of(KYIVSTAR, KYIVSTAR_2, VODAFONE_UA, LIFECELL, KYIV_LANDLINE)
TO_KYIVSTAR = destination("+380961112233")
NO_HISTORY = CustomerHistory()
DEFAULT_RULES = Rules()


def pick(
    history: CustomerHistory = NO_HISTORY,
    usage: dict[str, Usage] | None = None,
    rules: Rules = DEFAULT_RULES,
    pool: tuple[PoolNumber, ...] = POOL,
    to: Profile = TO_KYIVSTAR,
) -> Selection:
    return select(pool, to, history, usage or {}, rules, NOW)


def chosen(selection: Selection) -> Chosen:
    assert isinstance(selection, Chosen), selection
    return selection


def refused(selection: Selection) -> str:
    assert isinstance(selection, NoneAvailable), selection
    return selection.reason


def test_same_operator_least_used_first() -> None:
    result = chosen(pick(usage={KYIVSTAR: Usage(today=5), KYIVSTAR_2: Usage(today=2)}))
    assert result.number.number == KYIVSTAR_2
    assert result.reason == "same operator Kyivstar, least used today (2 of 100 calls)"
    assert [c.number.number for c in result.candidates[:2]] == [KYIVSTAR_2, KYIVSTAR]


def test_never_the_caller_id_seen_last_even_if_it_matches_best() -> None:
    result = chosen(pick(CustomerHistory((KYIVSTAR_2, KYIVSTAR))))
    assert result.number.number == KYIVSTAR
    assert KYIVSTAR_2 not in [c.number.number for c in result.candidates]


def test_avoid_last_k_moves_to_the_next_tier_and_says_why() -> None:
    history = CustomerHistory((KYIVSTAR_2, KYIVSTAR))
    result = chosen(pick(history, rules=Rules(avoid_last=2)))
    assert result.number.number not in {KYIVSTAR, KYIVSTAR_2}
    assert result.reason.endswith("; 2 closer matches unavailable")
    assert result.reason.startswith("any number (customer: operator Kyivstar, country UA)")


def test_ties_go_to_the_number_idle_longest_then_by_weight() -> None:
    usage = {
        KYIVSTAR: Usage(today=3, last_used=NOW - timedelta(minutes=1)),
        KYIVSTAR_2: Usage(today=3, last_used=NOW - timedelta(minutes=9)),
    }
    assert chosen(pick(usage=usage)).number.number == KYIVSTAR_2
    heavier = tuple(replace(n, weight=2.0) if n.number == KYIVSTAR else n for n in POOL)
    usage[KYIVSTAR] = Usage(today=5)  # 5 / 2 < 3 / 1
    assert chosen(pick(usage=usage, pool=heavier)).number.number == KYIVSTAR


def test_area_code_then_region_for_a_landline() -> None:
    to_kyiv = destination("+380445556677")
    assert chosen(pick(to=to_kyiv)).reason.startswith("same area code +38044")
    rules = Rules(prefer=("region", "any"))
    assert chosen(pick(to=to_kyiv, rules=rules)).reason.startswith("same region Kyiv city")


def test_prefer_order_is_the_campaigns() -> None:
    no_local = Rules(prefer=("any",))
    usage = {n.number: Usage(today=9) for n in POOL} | {LIFECELL: Usage(today=1)}
    assert chosen(pick(usage=usage, rules=no_local)).number.number == LIFECELL
    strict = Rules(prefer=("operator",))
    reason = refused(pick(to=destination(MOSCOW_LANDLINE), rules=strict))
    assert reason == (
        "no free number matches the customer (area code +7495, region Moscow, country RU); "
        "the campaign allows only: operator"
    )


def test_affinity_prefers_the_number_the_customer_answered() -> None:
    history = CustomerHistory((KYIVSTAR,), answered_from=LIFECELL)
    result = chosen(pick(history, rules=Rules(affinity=True)))
    assert result.number.number == LIFECELL
    assert result.reason.startswith("the customer answered this number before")
    assert chosen(pick(history)).number.number == KYIVSTAR_2  # affinity is off by default


def test_affinity_never_overrides_the_last_seen_rule() -> None:
    history = CustomerHistory((LIFECELL,), answered_from=LIFECELL)
    result = chosen(pick(history, rules=Rules(affinity=True)))
    assert LIFECELL not in [c.number.number for c in result.candidates]


@pytest.mark.parametrize(
    ("caps", "use", "reason"),
    [
        (Caps(per_day=3), Usage(today=3), "all 5 numbers at their daily cap"),
        (Caps(per_hour=2), Usage(this_hour=2), "all 5 numbers at their hourly cap"),
        (Caps(per_minute=1), Usage(this_minute=1), "all 5 numbers at their per-minute cap"),
        (
            Caps(cooldown_s=60),
            Usage(last_used=NOW - timedelta(seconds=59)),
            "all 5 numbers in cooldown",
        ),
    ],
)
def test_caps_and_cooldown_exclude_and_explain(caps: Caps, use: Usage, reason: str) -> None:
    pool = tuple(replace(n, caps=caps) for n in POOL)
    assert refused(pick(usage=dict.fromkeys((n.number for n in POOL), use), pool=pool)) == reason


def test_cooldown_ends_on_time() -> None:
    pool = tuple(replace(n, caps=Caps(cooldown_s=60)) for n in POOL)
    usage = dict.fromkeys((n.number for n in POOL), Usage(last_used=NOW - timedelta(seconds=60)))
    assert isinstance(pick(usage=usage, pool=pool), Chosen)


def test_mixed_reasons_are_counted() -> None:
    usage = {KYIVSTAR: Usage(today=100), KYIVSTAR_2: Usage(this_minute=10)}
    pool = POOL[:3]
    reason = refused(pick(CustomerHistory((VODAFONE_UA,)), usage=usage, pool=pool))
    assert reason == (
        "no number available: 1 shown to this customer last, 1 at its daily cap, "
        "1 at its per-minute cap"
    )


def test_only_number_seen_last() -> None:
    reason = refused(pick(CustomerHistory((KYIVSTAR,)), pool=pool_of(KYIVSTAR)))
    assert reason == "only number is the one the customer saw last; add numbers to the pool"


def test_paused_numbers_are_never_used_and_reported() -> None:
    paused = (
        replace(POOL[0], state=NumberState.QUARANTINED),
        replace(POOL[1], state=NumberState.QUARANTINED),
        replace(POOL[2], state=NumberState.RETIRED),
    )
    assert refused(pick(pool=paused)) == (
        "no active number in the pool (2 quarantined, 1 retired); restore or add numbers"
    )
    result = chosen(pick(pool=(*paused, POOL[3])))
    assert [c.number.number for c in result.candidates] == [LIFECELL]
    assert refused(pick(pool=())) == "the pool has no numbers"


def test_tags_restrict_the_pool() -> None:
    tagged = tuple(replace(n, tags=frozenset({"collections"})) for n in POOL[2:4])
    rules = Rules(tags=frozenset({"collections"}))
    result = chosen(pick(pool=(*POOL[:2], *tagged), rules=rules))
    assert {c.number.number for c in result.candidates} == {VODAFONE_UA, LIFECELL}
    assert refused(pick(pool=POOL, rules=rules)) == (
        "no active number carries the campaign's tags (collections)"
    )


def test_candidates_are_capped_for_the_atomic_reserve() -> None:
    result = chosen(pick(rules=Rules(max_candidates=2)))
    assert len(result.candidates) == 2


def test_an_unclassifiable_destination_still_gets_a_number() -> None:
    result = chosen(pick(to=destination("not a number")))
    assert result.reason.startswith("any number (customer: nothing known)")


def test_operator_match_needs_the_same_country() -> None:
    pool = pool_of(MTS, VODAFONE_UA)
    vodafone_elsewhere = replace(destination("+491721234567"), operator="Vodafone")
    result = chosen(select(pool, vodafone_elsewhere, CustomerHistory(), {}, Rules(), NOW))
    assert not result.reason.startswith("same operator")


def test_time_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        select(POOL, TO_KYIVSTAR, CustomerHistory(), {}, Rules(), NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"avoid_last": 0},
        {"avoid_last": 11},
        {"prefer": ()},
        {"prefer": ("operator", "operator")},
        {"prefer": ("city",)},
        {"max_candidates": 0},
    ],
)
def test_invalid_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- the message is checked by the config layer
        Rules(**kwargs)  # type: ignore[arg-type]
