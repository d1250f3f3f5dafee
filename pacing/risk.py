"""The abandon risk of one more dial, and how many dials fit under a risk limit.

The n-th dial placed now, if answered at pickup point k, is abandoned when the margin
(agents free by then minus calls answered before it) is no more than the number X of
the other n - 1 new dials answered earlier, X ~ Binomial(n - 1, fresh_k). The margin is
counted exactly when the outlook carries its distribution, else treated as normal with
a continuity correction. The risk is averaged over the equally likely pickup points.
Adding dials never lowers the next one's risk (exactly so when counted; for the normal
form while the risk is below one half, which is where every limit lies).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pacing.forecast import Outlook

RiskOf = Callable[[int], float]

Terms = list[tuple[float, float, float, float]]  # per point: margin, variance, fresh, its var


def terms(outlook: Outlook) -> Terms:
    return [
        (free - ahead - 0.5, free_var + ahead_var + 1e-9, fresh, fresh * (1.0 - fresh))
        for free, free_var, ahead, ahead_var, fresh in zip(
            outlook.free_mean,
            outlook.free_var,
            outlook.ahead_mean,
            outlook.ahead_var,
            outlook.fresh,
            strict=True,
        )
    ]


def abandon_risk(outlook: Outlook, n: int) -> float:
    """P(the n-th new dial, if answered, finds no agent within the grace); n >= 1."""
    return risk_function(outlook)(n)


def risk_function(outlook: Outlook) -> RiskOf:
    cdfs = outlook.margin_cdf
    if cdfs is not None:
        return lambda n: exact_risk(cdfs, outlook.fresh, n)
    parts = terms(outlook)
    return lambda n: normal_risk(parts, n)


def normal_risk(parts: Terms, n: int) -> float:
    others = n - 1
    erfc, sqrt = math.erfc, math.sqrt
    total = sum(
        erfc((margin - others * fresh) / sqrt(2.0 * (var + others * fresh_var)))
        for margin, var, fresh, fresh_var in parts
    )
    return 0.5 * total / len(parts)


def exact_risk(cdfs: tuple[tuple[float, ...], ...], fresh: tuple[float, ...], n: int) -> float:
    total = 0.0
    for cdf, b in zip(cdfs, fresh, strict=True):
        top = len(cdf) - 1
        for x, chance in enumerate(binomial(n - 1, b)):
            total += chance * (cdf[x] if x <= top else 1.0)
    return total / len(cdfs)


def binomial(n: int, b: float) -> list[float]:
    """P(X = x) for x = 0..n, X ~ Binomial(n, b)."""
    if b >= 1.0:
        return [0.0] * n + [1.0]
    chances = [(1.0 - b) ** n]
    odds = b / (1.0 - b)
    for x in range(n):
        chances.append(chances[-1] * odds * (n - x) / (x + 1))
    return chances


def dials_within(outlook: Outlook, limit: float, most: int) -> tuple[int, float]:
    """The most dials (up to `most`) whose every risk is within `limit`, and the next risk.

    Searches by doubling then bisection, which relies on the risk growing with n."""
    risk = risk_function(outlook)
    if most <= 0 or risk(1) > limit:
        return 0, risk(1)
    good, bad = 1, 2  # risk(good) <= limit; find the first bad
    while bad <= most and risk(bad) <= limit:
        good, bad = bad, bad * 2
    bad = min(bad, most + 1)
    while bad - good > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if risk(middle) <= limit else (good, middle)
    return good, risk(good + 1)
