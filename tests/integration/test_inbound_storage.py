"""PgInbound against the lab's PostgreSQL: who is calling, and booking their callback."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

import tests.integration.test_storage as base
from dialerd.storage import PgStore
from dialerd.storage.connect import make_engine
from dialerd.storage.inbound import PgInbound

POOL_X, POOL_Y = "+442079460011", "+442079460022"


async def number_of(url: str, phone_id: int) -> str:
    return str(await scalar(url, "SELECT number FROM lead_phones WHERE id = :id", id=phone_id))


async def scalar(url: str, sql: str, **params: object) -> object:
    """The first value a statement returns (None for one that returns no rows)."""
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as connection:
        result = await connection.execute(sa.text(sql), params)
        value = result.scalar() if result.returns_rows else None
    await engine.dispose()
    return value


async def attempt(
    url: str, campaign_id: int, phone_id: int, caller_id: str, days_ago: int
) -> uuid.UUID:
    attempt_id = uuid.uuid4()
    await scalar(
        url,
        "INSERT INTO call_attempts (attempt_id, campaign_id, lead_id, phone_id, number, caller_id,"
        " attempt_number, node, created_at)"
        " SELECT :a, :c, p.lead_id, p.id, p.number, :cid, 1, 'node-a', :at"
        " FROM lead_phones p WHERE p.id = :p",
        a=attempt_id, c=campaign_id, p=phone_id, cid=caller_id,
        at=base.T0 - timedelta(days=days_ago),
    )  # fmt: skip
    return attempt_id


async def test_the_caller_is_found_by_any_phone_and_the_pool_number_they_saw_wins(
    store: PgStore, db_url: str
) -> None:
    first, second = await base.new_campaign(store), await base.new_campaign(store)
    _, phone = await base.seed_lead(db_url, first, phones=2, name="Olena")
    number, inbound = await number_of(db_url, phone), PgInbound(store)
    never_called = await inbound.find_caller(number, POOL_X)
    shown_x = await attempt(db_url, first, phone, POOL_X, days_ago=5)
    (other_lead,) = await base.seed_lead(db_url, second, phones=1, name="Olena K")
    await scalar(db_url, "UPDATE lead_phones SET number = :n WHERE id = :p", n=number, p=other_lead)
    await attempt(db_url, second, other_lead, POOL_Y, days_ago=1)  # newer, from another number
    calling_x = await inbound.find_caller(number, POOL_X)
    calling_y = await inbound.find_caller(number, POOL_Y)
    assert never_called is not None
    assert (never_called.lead_name, never_called.attempt_id) == ("Olena", None)  # 2nd phone
    assert calling_x is not None
    assert (calling_x.campaign_id, calling_x.attempt_id) == (first, shown_x)
    assert calling_y is not None
    assert calling_y.campaign_id == second
    assert await inbound.find_caller("+380509999999", POOL_X) is None


async def test_a_booked_callback_puts_the_phone_first_and_respects_blocks_and_calls(
    store: PgStore, db_url: str
) -> None:
    campaign = await base.new_campaign(store)
    first, second = await base.seed_lead(db_url, campaign, phones=2)
    lead_id = int(
        str(await scalar(db_url, "SELECT lead_id FROM lead_phones WHERE id = :p", p=first))
    )
    inbound, at = PgInbound(store), base.T0 + timedelta(hours=3)
    number = await number_of(db_url, second)
    assert await inbound.schedule_callback(lead_id, campaign, number, at) is None
    rows = [await base.schedule_row(db_url, p) for p in (first, second)]
    assert [(r["state"], r["next_dial_at"]) for r in rows] == [
        ("standby", base.T0),
        ("scheduled", at),
    ]
    await scalar(
        db_url, "UPDATE phone_schedule SET state = 'dialing' WHERE phone_id = :p", p=second
    )
    busy = await inbound.schedule_callback(lead_id, campaign, await number_of(db_url, first), at)
    await scalar(
        db_url, "UPDATE phone_schedule SET state = 'blocked' WHERE phone_id = :p", p=second
    )
    blocked = await inbound.schedule_callback(lead_id, campaign, number, at)
    assert (busy, blocked) == (
        "a call to the lead is in progress",
        "the number is on a do-not-call list",
    )
