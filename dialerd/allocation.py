"""Sharing a budget (a trunk's free channels, a queue's ready agents) among campaigns: pure.

Higher priority is served first, in full if the budget allows. Among campaigns of equal
priority what is left is split in proportion to their weights, water-filling style: a
campaign that wants less than its share gets what it wants and the rest goes to the
others. Shares are whole dials: each is its exact share rounded down, and the units left
go to the largest remainders (ties by name), so the result is deterministic and the
whole budget is used whenever the campaigns want that much. Arithmetic is exact
(fractions), so no float error can hand out a dial too many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import floor

__all__ = ["Claim", "allocate"]


@dataclass(frozen=True, slots=True)
class Claim:
    """What one campaign wants from the budget this round."""

    name: str
    wanted: int
    priority: int = 0
    weight: float = 1.0


def allocate(claims: Sequence[Claim], budget: int) -> dict[str, int]:
    """Each claim's share of `budget`: never more than it wants, never more than the budget."""
    granted = {claim.name: 0 for claim in claims}
    left = max(0, budget)
    for priority in sorted({claim.priority for claim in claims}, reverse=True):
        tier = [c for c in claims if c.priority == priority and c.wanted > 0]
        shares = _split(tier, left)
        granted.update(shares)
        left -= sum(shares.values())
    return granted


def _split(tier: Sequence[Claim], budget: int) -> dict[str, int]:
    if sum(c.wanted for c in tier) <= budget:
        return {c.name: c.wanted for c in tier}
    exact = _water_fill(tier, budget)
    shares = {name: floor(value) for name, value in exact.items()}
    units = budget - sum(shares.values())
    by_remainder = sorted(exact, key=lambda name: (shares[name] - exact[name], name))
    for name in by_remainder[:units]:
        shares[name] += 1
    return shares


def _water_fill(tier: Sequence[Claim], budget: int) -> dict[str, Fraction]:
    """Exact shares: those wanting least per unit of weight are filled first."""
    ordered = sorted(tier, key=lambda c: (Fraction(c.wanted) / Fraction(c.weight), c.name))
    left, weights = Fraction(budget), sum(Fraction(c.weight) for c in ordered)
    exact: dict[str, Fraction] = {}
    for claim in ordered:
        share = min(Fraction(claim.wanted), left * Fraction(claim.weight) / weights)
        exact[claim.name] = share
        left -= share
        weights -= Fraction(claim.weight)
    return exact
