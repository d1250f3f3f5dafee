"""The allocator's invariants over random campaigns and budgets (Hypothesis), and examples."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialerd.allocation import Claim, allocate

claims_lists = st.lists(
    st.builds(
        Claim,
        name=st.text("abcdefgh", min_size=1, max_size=3),
        wanted=st.integers(0, 60),
        priority=st.integers(-2, 2),
        weight=st.sampled_from([0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0]),
    ),
    max_size=8,
    unique_by=lambda c: c.name,
)
budgets = st.integers(-5, 200)


@given(claims_lists, budgets)
def test_never_above_the_budget_nor_above_a_want(claims: list[Claim], budget: int) -> None:
    granted = allocate(claims, budget)
    assert sum(granted.values()) <= max(0, budget)
    assert all(0 <= granted[c.name] <= c.wanted for c in claims)


@given(claims_lists, budgets)
def test_the_whole_budget_is_used_when_wanted(claims: list[Claim], budget: int) -> None:
    granted = allocate(claims, budget)
    assert sum(granted.values()) == min(max(0, budget), sum(c.wanted for c in claims))


@given(claims_lists, budgets)
def test_a_lower_priority_gets_nothing_until_higher_ones_have_all(
    claims: list[Claim], budget: int
) -> None:
    granted = allocate(claims, budget)
    for low in claims:
        if granted[low.name] > 0:
            higher = [c for c in claims if c.priority > low.priority]
            assert all(granted[c.name] == c.wanted for c in higher)


@given(claims_lists, budgets)
def test_equal_priorities_short_of_their_want_split_by_weight_within_one(
    claims: list[Claim], budget: int
) -> None:
    granted = allocate(claims, budget)
    short = [c for c in claims if granted[c.name] < c.wanted]
    for a in short:
        for b in short:
            if a.priority == b.priority:
                # both got their exact share (equal per unit of weight) within one dial
                assert (granted[b.name] - 1) * a.weight < (granted[a.name] + 1) * b.weight


def test_examples() -> None:
    high, low = Claim("high", 5, priority=1), Claim("low", 5)
    assert allocate([high, low], 4) == {"high": 4, "low": 0}
    assert allocate([high, low], 7) == {"high": 5, "low": 2}
    two_to_one = [Claim("a", 10, weight=2.0), Claim("b", 10, weight=1.0)]
    assert allocate(two_to_one, 9) == {"a": 6, "b": 3}
    assert allocate(two_to_one, 10) == {"a": 7, "b": 3}  # 6.67 and 3.33: the larger remainder
    satisfied = [Claim("a", 1), Claim("b", 10), Claim("c", 10)]
    assert allocate(satisfied, 9) == {"a": 1, "b": 4, "c": 4}  # a's unused share goes on
    assert allocate([Claim("a", 3), Claim("b", 3)], 3) == {"a": 2, "b": 1}  # tie: by name
