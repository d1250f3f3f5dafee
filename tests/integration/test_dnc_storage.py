"""Do-not-call storage against the lab's PostgreSQL: the lists, the batch check, the blocks.

Also the downgrade of revision 0003 with a blocked phone in the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from dialerd.dnc_rows import DncRequest
from dialerd.domain import DuePhone
from dialerd.storage import PgStore, downgrade, migrate
from dialerd.storage.connect import make_engine
from dialerd.storage.dnc import PgDncLists
from dialerd.storage.tables import leads
from dialerd.storage.testing import throwaway_database
from tests.integration.lab import Lab
from tests.integration.test_storage import NODE_A, NODE_B, T0, new_campaign, schedule_row, seed_lead


@pytest.fixture
async def lists(db_url: str) -> AsyncIterator[PgDncLists]:
    pg = PgDncLists(db_url)
    yield pg
    await pg.close()


async def campaign_name(db_url: str, campaign_id: int) -> str:
    engine = make_engine(db_url, pool_size=1)
    async with engine.connect() as connection:
        name = await connection.scalar(
            sa.text("SELECT name FROM campaigns WHERE id = :id"), {"id": campaign_id}
        )
    await engine.dispose()
    return str(name)


async def claim_one(store: PgStore, campaign_id: int) -> DuePhone:
    (due,) = await store.claim_due_phones(campaign_id, NODE_A, 1, 30.0, T0)
    return due


async def test_batch_check_applies_global_and_own_lists_in_force(
    store: PgStore, lists: PgDncLists, db_url: str
) -> None:
    campaign, other = await new_campaign(store), await new_campaign(store)
    for _ in range(5):
        await seed_lead(db_url, campaign, 1)
    phones = await store.claim_due_phones(campaign, NODE_A, 5, 30.0, T0)
    assert len(phones) == 5
    by_global, by_own, by_other, by_lead, expired = phones
    await lists.add(None, [DncRequest(by_global.number, None, "asked on the phone")])
    await lists.add(await campaign_name(db_url, campaign), [DncRequest(by_own.number, None)])
    await lists.add(await campaign_name(db_url, other), [DncRequest(by_other.number, None)])
    await lists.add(None, [DncRequest(None, by_lead.lead_id)])
    await lists.add(None, [DncRequest(expired.number, None, expires_at=T0 + timedelta(hours=1))])

    matches = await store.do_not_call_matches(campaign, phones, T0 + timedelta(hours=2))

    assert {m.phone_id: m.by_lead for m in matches} == {
        by_global.phone_id: False,
        by_own.phone_id: False,
        by_lead.phone_id: True,
    }
    reasons = {m.phone_id: m.reason for m in matches}
    assert reasons[by_global.phone_id] == (
        f"number {by_global.number} on the global do-not-call list: asked on the phone"
    )
    assert reasons[by_own.phone_id].endswith("on the campaign's do-not-call list")
    # Before it expired, the expiring entry applied too.
    early = await store.do_not_call_matches(campaign, [expired], T0)
    assert [m.phone_id for m in early] == [expired.phone_id]


async def test_a_block_is_recorded_and_the_lead_moves_to_its_next_phone(
    store: PgStore, lists: PgDncLists, db_url: str
) -> None:
    campaign = await new_campaign(store)
    first, second = await seed_lead(db_url, campaign, 2)
    due = await claim_one(store, campaign)
    await lists.add(None, [DncRequest(due.number, None, "complaint")])
    (match,) = await store.do_not_call_matches(campaign, [due], T0)

    assert await store.block_phones(NODE_A, [(due, match)], T0) == 1

    assert (await schedule_row(db_url, first))["state"] == "blocked"
    after = await schedule_row(db_url, second)
    assert (after["state"], after["next_dial_at"]) == ("scheduled", T0)
    engine = make_engine(db_url, pool_size=1)
    async with engine.connect() as connection:
        rows = (
            (
                await connection.execute(
                    sa.text("SELECT * FROM blocked_dials WHERE phone_id = :p"), {"p": first}
                )
            )
            .mappings()
            .all()
        )
    await engine.dispose()
    assert [(r["number"], r["entry_id"], r["node"]) for r in rows] == [
        (due.number, match.entry_id, NODE_A)
    ]
    assert "complaint" in rows[0]["reason"]
    # A blocked phone is never claimed again.
    next_due = await store.claim_due_phones(campaign, NODE_A, 5, 30.0, T0 + timedelta(days=1))
    assert [p.phone_id for p in next_due] == [second]


async def test_a_lead_block_stops_the_whole_lead_and_a_lost_lease_is_left_alone(
    store: PgStore, lists: PgDncLists, db_url: str
) -> None:
    campaign = await new_campaign(store)
    first, second = await seed_lead(db_url, campaign, 2)
    due = await claim_one(store, campaign)
    await lists.add(None, [DncRequest(None, due.lead_id)])
    (match,) = await store.do_not_call_matches(campaign, [due], T0)
    assert await store.block_phones(NODE_B, [(due, match)], T0) == 0  # not B's lease
    assert (await schedule_row(db_url, first))["state"] == "leased"
    assert await store.block_phones(NODE_A, [(due, match)], T0) == 1
    assert (await schedule_row(db_url, second))["state"] == "standby"


async def test_defer_puts_the_phone_back_due_at_the_opening(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    (phone_id,) = await seed_lead(db_url, campaign, 1)
    due = await claim_one(store, campaign)
    opening = T0 + timedelta(hours=7)
    assert await store.defer_phones(NODE_A, [due.phone_id], opening) == 1
    assert await store.defer_phones(NODE_B, [due.phone_id], opening) == 0  # not B's lease
    row = await schedule_row(db_url, phone_id)
    assert (row["state"], row["next_dial_at"], row["leased_by"]) == ("scheduled", opening, None)
    assert (
        await store.claim_due_phones(campaign, NODE_A, 1, 30.0, opening - timedelta(seconds=1))
        == []
    )
    assert [
        p.phone_id for p in await store.claim_due_phones(campaign, NODE_A, 1, 30.0, opening)
    ] == [phone_id]


async def test_claim_carries_the_leads_preferred_window(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    await seed_lead(db_url, campaign, 1)
    engine = make_engine(db_url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(leads)
            .where(leads.c.campaign_id == campaign)
            .values(call_window_start=time(18, 0), call_window_end=time(21, 30))
        )
    await engine.dispose()
    due = await claim_one(store, campaign)
    assert due.call_window == (time(18, 0), time(21, 30))


async def test_lists_add_updates_remove_and_check(
    lists: PgDncLists, store: PgStore, db_url: str
) -> None:
    number = "+380671112233"
    assert await lists.add(None, [DncRequest(number, None, "first")]) == 1
    assert await lists.add(None, [DncRequest(number, None, "second")]) == 1  # updated, not twice
    assert await lists.add("dnc-check-campaign", [DncRequest(number, None, "theirs")]) == 1
    entries = await lists.entries_for(number, None, T0)
    assert [(e.campaign, e.reason) for e in entries] == [
        (None, "second"),
        ("dnc-check-campaign", "theirs"),
    ]
    assert await lists.remove(None, [DncRequest(number, None)]) == 1
    assert [e.campaign for e in await lists.entries_for(number, None, T0)] == ["dnc-check-campaign"]
    assert await lists.missing_leads([999_999_999]) == {999_999_999}


async def test_downgrade_turns_blocked_phones_into_exhausted(lab: Lab) -> None:
    async with throwaway_database(lab.database_url) as url:
        await migrate(url)
        pg = PgStore(url)
        campaign = await pg.ensure_campaign("downgrade")
        (phone_id,) = await seed_lead(url, campaign, 1)
        engine = make_engine(url, pool_size=1)
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE phone_schedule SET state = 'blocked', next_dial_at = NULL")
            )
        await engine.dispose()
        await pg.close()
        assert await downgrade(url, "0002") == "0002"
        assert (await schedule_row(url, phone_id))["state"] == "exhausted"
