"""Recomputing the shared state from PostgreSQL's presentations (pure part)."""

from __future__ import annotations

from datetime import timedelta

from caller_id_pool import CustomerHistory, NumberState, Presentation, StateChange, Usage
from caller_id_pool.rebuild import plan_rebuild
from tests.unit.caller_id_pool.support import KYIVSTAR, LIFECELL, NOW, VODAFONE_UA


def test_keeps_the_newest_per_customer_in_any_input_order() -> None:
    shown = [
        Presentation("7", LIFECELL, NOW - timedelta(days=1)),
        Presentation("7", KYIVSTAR, NOW - timedelta(days=3), answered=True),
        Presentation("7", VODAFONE_UA, NOW - timedelta(minutes=1)),
        Presentation("7", KYIVSTAR, NOW - timedelta(days=2)),
    ]
    plan = plan_rebuild(shown, NOW, keep=3)
    assert plan.customers == {"7": CustomerHistory((VODAFONE_UA, LIFECELL, KYIVSTAR), KYIVSTAR)}
    assert plan.usage == {VODAFONE_UA: Usage(1, 1, 0, NOW - timedelta(minutes=1))}


def test_the_latest_answer_and_state_win() -> None:
    shown = [
        Presentation("7", KYIVSTAR, NOW - timedelta(days=3), answered=True),
        Presentation("7", LIFECELL, NOW - timedelta(days=1), answered=True),
    ]
    early = StateChange(KYIVSTAR, NumberState.ACTIVE, NumberState.RETIRED, "x", NOW - timedelta(1))
    late = StateChange(KYIVSTAR, NumberState.RETIRED, NumberState.ACTIVE, "y", NOW)
    plan = plan_rebuild(shown, NOW, keep=10, states=[late, early])
    assert plan.customers["7"].answered_from == LIFECELL
    assert plan.states == {KYIVSTAR: late}


def test_presentations_older_than_the_memory_are_dropped() -> None:
    shown = [Presentation("7", KYIVSTAR, NOW - timedelta(days=91))]
    plan = plan_rebuild(shown, NOW, keep=10)
    assert (plan.presentations, dict(plan.customers)) == (0, {})


def test_a_callback_counts_for_affinity_only() -> None:
    shown = [
        Presentation("7", KYIVSTAR, NOW - timedelta(days=2), answered=True),
        Presentation("7", LIFECELL, NOW - timedelta(minutes=5), callback=True),
        Presentation("8", VODAFONE_UA, NOW - timedelta(minutes=1), callback=True),
    ]
    plan = plan_rebuild(shown, NOW, keep=3)
    assert plan.customers == {
        "7": CustomerHistory((KYIVSTAR,), LIFECELL),  # called back to LIFECELL: now preferred
        "8": CustomerHistory((), VODAFONE_UA),
    }
    assert plan.usage == {}  # a callback uses no number
