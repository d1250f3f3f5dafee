from __future__ import annotations

import pytest

from pacing.forecast import Outlook
from pacing.risk import abandon_risk, dials_within

K = 4


def view(free: float, ahead: float = 0.0, fresh: float = 0.1, var: float = 0.0) -> Outlook:
    return Outlook((free,) * K, (var,) * K, (ahead,) * K, (0.0,) * K, (fresh,) * K)


def test_plenty_of_free_agents_means_no_risk() -> None:
    assert abandon_risk(view(free=5.0), 1) < 1e-6


def test_no_free_agents_means_certain_abandon() -> None:
    assert abandon_risk(view(free=0.0), 1) > 0.999


def test_risk_grows_with_each_extra_dial() -> None:
    outlook = view(free=2.0, fresh=0.25, var=0.5)
    risks = [abandon_risk(outlook, n) for n in range(1, 12)]
    assert risks == sorted(risks)
    assert risks[-1] > risks[0]


def test_risk_grows_with_calls_ahead() -> None:
    assert abandon_risk(view(free=2.0, ahead=1.5, var=0.3), 1) > abandon_risk(
        view(free=2.0, ahead=0.5, var=0.3), 1
    )


@pytest.mark.parametrize("limit", [0.01, 0.03, 0.1, 0.3])
def test_dials_within_returns_the_largest_count_under_the_limit(limit: float) -> None:
    outlook = view(free=3.0, fresh=0.25, var=0.4)
    n, next_risk = dials_within(outlook, limit, most=100)
    assert all(abandon_risk(outlook, m) <= limit for m in range(1, n + 1))
    assert next_risk > limit
    assert next_risk == abandon_risk(outlook, n + 1)


def test_dials_within_stops_at_most() -> None:
    assert dials_within(view(free=50.0), 0.03, most=7)[0] == 7
    assert dials_within(view(free=50.0), 0.03, most=0)[0] == 0
