"""Attempt limits against the lab's PostgreSQL: the batch's histories, the re-check under the
number's lock, the race it closes, and revision 0004's index and downgrade."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from dialerd.domain import AttemptResult, DuePhone, NextDial, Outcome, PhoneState
from dialerd.limits import LimitReached, Limits, RollingCap, Scope, check
from dialerd.storage import PgStore, downgrade, migrate
from dialerd.storage.connect import make_engine
from dialerd.storage.testing import throwaway_database
from tests.integration.lab import Lab
from tests.integration.test_storage import (
    NODE_A,
    NODE_B,
    T0,
    attempt_row,
    new_attempt,
    new_campaign,
    schedule_row,
    seed_lead,
)

H = timedelta(hours=1)
_numbers = itertools.count(447_700_100_000)
# Holding the phones' lead_phones rows makes each attempt's INSERT wait (its foreign-key check
# needs them) after the re-check has counted: every write counts before any can commit.
HOLD = "SELECT id FROM lead_phones WHERE id = ANY(:ids) FOR UPDATE"
TWO_AN_HOUR = Limits(rolling=(RollingCap(2, H, Scope.NUMBER),))


async def execute(url: str, sql: str, **params: object) -> None:
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(sa.text(sql), params)
    await engine.dispose()


async def lead_on(url: str, campaign_id: int, number: str) -> int:
    """A new lead of the campaign whose one phone, due at T0, is `number`."""
    (phone_id,) = await seed_lead(url, campaign_id, 1)
    await execute(url, "UPDATE lead_phones SET number = :n WHERE id = :p", n=number, p=phone_id)
    return phone_id


async def claim(store: PgStore, campaign_id: int, node: str, n: int = 1) -> list[DuePhone]:
    return await store.claim_due_phones(campaign_id, node, n, 30.0, T0)


async def dial_and_end(
    store: PgStore, due: DuePhone, node: str, outcome: Outcome, *, at: timedelta, talk: timedelta
) -> None:
    attempt = new_attempt(due, node, T0 + at)
    await store.create_attempt(attempt)
    result = AttemptResult(attempt.attempt_id, outcome, ended_at=T0 + at + talk)
    await store.record_results(
        [(result, [NextDial(due.phone_id, PhoneState.SCHEDULED, T0 + at + talk)])]
    )


async def test_histories_count_the_number_everywhere_and_the_lead_and_phone_on_their_own(
    store: PgStore, db_url: str
) -> None:
    number = f"+{next(_numbers)}"
    ours, theirs = await new_campaign(store), await new_campaign(store)
    await lead_on(db_url, ours, number)
    await lead_on(db_url, theirs, number)
    (their_phone,) = await claim(store, theirs, NODE_B)
    await dial_and_end(
        store, their_phone, NODE_B, Outcome.ABANDONED, at=-3 * H, talk=timedelta(seconds=5)
    )
    (our_phone,) = await claim(store, ours, NODE_A)
    await dial_and_end(
        store, our_phone, NODE_A, Outcome.CONNECTED, at=-2 * H, talk=timedelta(minutes=3)
    )
    (our_phone,) = await claim(store, ours, NODE_A)  # due again at once
    limits = Limits(rolling=(RollingCap(5, 150 * timedelta(minutes=1), Scope.NUMBER),))

    (history,) = await store.attempt_histories([our_phone], limits, T0)

    assert (history.phone_id, history.phone_attempts, history.lead_attempts) == (
        our_phone.phone_id,
        1,
        1,
    )
    assert history.number_times == (T0 - 2 * H,)  # 3 h ago is outside the 150 min looked at
    assert history.lead_times == ()  # no lead-scoped cap: nothing read
    assert history.last_conversation_end == T0 - 2 * H + timedelta(minutes=3)
    assert history.last_abandoned_end == T0 - 3 * H + timedelta(seconds=5)  # another campaign's


async def test_an_attempt_over_a_number_cap_is_refused_and_nothing_written(
    store: PgStore, db_url: str
) -> None:
    number = f"+{next(_numbers)}"
    campaign = await new_campaign(store)
    for _ in range(3):
        await lead_on(db_url, campaign, number)
    first, second, third = await claim(store, campaign, NODE_A, 3)
    await store.create_attempt(new_attempt(first, NODE_A, T0), TWO_AN_HOUR)
    await store.create_attempt(new_attempt(second, NODE_A, T0), TWO_AN_HOUR)
    refused = new_attempt(third, NODE_A, T0 + timedelta(minutes=10))

    with pytest.raises(LimitReached) as raised:
        await store.create_attempt(refused, TWO_AN_HOUR)

    assert raised.value.deferral.until == T0 + H
    assert await attempt_row(db_url, refused.attempt_id) is None
    assert (await schedule_row(db_url, third.phone_id))["state"] == "leased"
    # Without the number-scoped recheck the same write goes through.
    await store.create_attempt(refused, Limits(phone_lifetime=9))
    assert await attempt_row(db_url, refused.attempt_id) is not None


async def race(db_url: str, leads: int = 6) -> tuple[int, int]:
    """Two nodes, two campaigns, `leads` leads each on one number: every phone passes the
    batch check, then every attempt is written at the same instant: all twelve have counted
    (or wait on the number's lock) before the first can commit. Returns (phones the batch
    check let through, attempt rows written)."""
    number = f"+{next(_numbers)}"
    stores = [PgStore(db_url, pool_size=leads), PgStore(db_url, pool_size=leads)]
    gate = make_engine(db_url, pool_size=1)
    try:
        writes, passed, phone_ids = [], 0, []
        for store, node in zip(stores, (NODE_A, NODE_B), strict=True):
            campaign = await new_campaign(store)
            for _ in range(leads):
                phone_ids.append(await lead_on(db_url, campaign, number))
            batch = await claim(store, campaign, node, leads)
            found = await store.attempt_histories(batch, TWO_AN_HOUR, T0)
            passed += sum(1 for h in found if check(TWO_AN_HOUR, h, T0) is None)
            writes += [(store, new_attempt(due, node, T0)) for due in batch]
        async with gate.begin() as held:
            await held.execute(sa.text(HOLD), {"ids": phone_ids})
            tasks = [asyncio.create_task(s.create_attempt(a, TWO_AN_HOUR)) for s, a in writes]
            await asyncio.sleep(1.0)  # every write is now waiting: on its INSERT or the lock
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await gate.dispose()
        for store in stores:
            await store.close()
    assert all(o is None or isinstance(o, LimitReached) for o in outcomes), outcomes
    return passed, sum(1 for o in outcomes if o is None)


async def test_two_nodes_writing_at_once_never_exceed_a_number_cap(db_url: str) -> None:
    for _ in range(3):
        # The batch check alone would let all twelve through; the re-check lets two. (Without the
        # number's lock in create_attempt, this race writes all twelve.)
        assert await race(db_url) == (12, 2)


async def test_0004_adds_the_number_index_and_downgrades_without_it(lab: Lab) -> None:
    query = "SELECT indexname FROM pg_indexes WHERE tablename = 'call_attempts'"

    async def indexes(url: str) -> set[str]:
        engine = make_engine(url, pool_size=1)
        async with engine.connect() as connection:
            names = set((await connection.execute(sa.text(query))).scalars())
        await engine.dispose()
        return names

    async with throwaway_database(lab.database_url) as url:
        assert await migrate(url, "0004") == "0004"
        assert "ix_call_attempts_number_created_at" in await indexes(url)
        assert await downgrade(url, "0003") == "0003"
        assert "ix_call_attempts_number_created_at" not in await indexes(url)
        assert await migrate(url, "0004") == "0004"
