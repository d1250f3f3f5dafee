"""`dialerd caller-id list|retire|restore` and the health job, over the in-process store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caller_id_pool import (
    Dial,
    HealthSettings,
    HourOutcomes,
    InProcessStore,
    InvalidTransition,
    NoneAvailable,
    NumberState,
    Rules,
    apply_health,
    check_health,
    pool_status,
    render_status,
    reserve_caller_id,
    reserve_caller_ids,
    restore,
    restored_at,
    retire,
    with_states,
)
from tests.unit.caller_id_pool.support import (
    KYIV_LANDLINE,
    KYIVSTAR,
    LIFECELL,
    NOW,
    VODAFONE_UA,
    destination,
    pool_of,
)

POOL = pool_of(KYIVSTAR, VODAFONE_UA, LIFECELL)


async def test_retire_and_restore_are_audited_and_seen_by_the_selector() -> None:
    store = InProcessStore()
    change = await retire(POOL, store, KYIVSTAR, reason="number returned to carrier", now=NOW)
    assert (change.previous, change.state, change.event) == (
        NumberState.ACTIVE,
        NumberState.RETIRED,
        "caller_id_retired",
    )
    current = with_states(POOL, await store.states())
    assert [n.state for n in current] == [
        NumberState.RETIRED,
        NumberState.ACTIVE,
        NumberState.ACTIVE,
    ]
    later = NOW + timedelta(hours=1)
    back = await restore(POOL, store, KYIVSTAR, reason="ported back", now=later, actor="olena")
    assert (back.previous, back.state, back.event, back.actor) == (
        NumberState.RETIRED,
        NumberState.ACTIVE,
        "caller_id_restored",
        "olena",
    )
    assert restored_at(await store.states()) == {KYIVSTAR: later}


async def test_changes_that_do_not_apply_are_refused() -> None:
    store = InProcessStore()
    await retire(POOL, store, KYIVSTAR, reason="gone", now=NOW)
    with pytest.raises(InvalidTransition, match="is retired; it cannot become retired"):
        await retire(POOL, store, KYIVSTAR, reason="again", now=NOW)
    with pytest.raises(InvalidTransition, match="is active; it cannot become active"):
        await restore(POOL, store, VODAFONE_UA, reason="fine", now=NOW)
    with pytest.raises(InvalidTransition, match="is not in the pool"):
        await retire(POOL, store, "+380990000000", reason="typo", now=NOW)
    with pytest.raises(InvalidTransition, match="needs a reason"):
        await retire(POOL, store, LIFECELL, reason="  ", now=NOW)
    assert list(await store.states()) == [KYIVSTAR]


async def test_health_quarantines_a_bad_number_and_dialling_moves_on() -> None:
    store = InProcessStore()
    hour = NOW.replace(minute=0, second=0) - timedelta(hours=1)
    rows = [HourOutcomes(KYIVSTAR, hour, 300, 10)]
    rows += [HourOutcomes(n, hour, 300, 90) for n in (VODAFONE_UA, LIFECELL)]
    verdicts = check_health(rows, POOL, HealthSettings(), NOW)
    (change,) = await apply_health(POOL, store, verdicts, NOW)
    assert change.event == "caller_id_quarantined"
    assert change.reason.startswith("answer rate significantly worse than its peers")
    assert await apply_health(POOL, store, verdicts, NOW) == ()  # already paused
    current = with_states(POOL, await store.states())
    for i in range(4):
        result = await reserve_caller_id(
            store,
            current,
            destination("+380971112233"),
            customer_id=f"c{i}",
            attempt_id=f"a{i}",
            rules=Rules(),
            now=NOW,
        )
        assert not isinstance(result, NoneAvailable)
        assert result.number != KYIVSTAR


async def test_list_shows_state_usage_and_why() -> None:
    store = InProcessStore()
    await reserve_caller_id(
        store,
        POOL,
        destination("+380971112233"),
        customer_id="c1",
        attempt_id="a1",
        rules=Rules(),
        now=NOW,
    )
    await retire(POOL, store, LIFECELL, reason="flagged by carrier", now=NOW)
    statuses = await pool_status(POOL, store, NOW)
    assert [(s.number.number, s.number.state, s.usage.today) for s in statuses] == [
        (KYIVSTAR, NumberState.ACTIVE, 1),
        (VODAFONE_UA, NumberState.ACTIVE, 0),
        (LIFECELL, NumberState.RETIRED, 0),
    ]
    table = render_status(statuses).splitlines()
    assert table[0].startswith("number         state    operator  region  today  cap/day  last")
    assert table[1].split()[:7] == [KYIVSTAR, "active", "Kyivstar", "-", "1", "100", "2026-11-24"]
    retired = [LIFECELL, "retired", "lifecell", "-", "0", "100", "-", "flagged by carrier"]
    assert table[3].split(maxsplit=7) == retired


async def test_list_names_a_landline_by_its_region() -> None:
    statuses = await pool_status(pool_of(KYIV_LANDLINE), InProcessStore(), NOW)
    assert "Kyiv city" in render_status(statuses)


async def test_a_batch_holds_one_dial_per_customer() -> None:
    to = destination("+380971112233")
    dials = [Dial("c1", "a1", to), Dial("c1", "a2", to)]
    with pytest.raises(ValueError, match="one dial in flight"):
        await reserve_caller_ids(InProcessStore(), POOL, dials, Rules(), NOW)
