"""The issue's property, over the in-process store: for any pool of at least two usable
numbers and any sequence of dials, no customer sees the same caller ID twice in a row, no
cap or cooldown is ever broken, and no dial is refused while a number was free."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings

from caller_id_pool import InProcessStore
from tests.unit.caller_id_pool.scenario import Scenario, check_invariants, run_scenario, scenarios


@settings(max_examples=250, deadline=None)
@given(scenarios())
def test_no_repeat_no_cap_exceeded_no_needless_refusal(scenario: Scenario) -> None:
    log = asyncio.run(run_scenario(InProcessStore(), scenario))
    check_invariants(scenario, log)
