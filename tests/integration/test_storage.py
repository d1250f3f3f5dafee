"""PgStore and the migrations against the lab's real PostgreSQL, in throwaway databases."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dialerd.domain import (
    AttemptResult,
    DuePhone,
    NewAttempt,
    NextDial,
    Outcome,
    PhoneState,
)
from dialerd.storage import (
    LeaseLost,
    PgStore,
    SchemaNotAtHead,
    StorageConfigError,
    StorageUnavailable,
    current_revision,
    downgrade,
    head_revision,
    migrate,
)
from dialerd.storage.connect import make_engine
from dialerd.storage.tables import lead_phones, leads, metadata, phone_schedule
from dialerd.storage.testing import throwaway_database
from tests.integration.lab import ROOT, Lab

MIGRATIONS = ROOT / "migrations" / "versions"

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
NODE_A = "node-a"
NODE_B = "node-b"
_numbers = itertools.count(380_501_000_000)


async def seed_lead(
    url: str, campaign_id: int, phones: int, *, due_at: datetime = T0, name: str = "Olena"
) -> list[int]:
    """One lead whose first phone is scheduled at ``due_at`` and the rest on standby."""
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as connection:
        lead_id = (
            await connection.execute(
                sa.insert(leads)
                .values(campaign_id=campaign_id, name=name, time_zone="Europe/Kyiv")
                .returning(leads.c.id)
            )
        ).scalar_one()
        phone_ids = []
        for position in range(phones):
            phone_id = (
                await connection.execute(
                    sa.insert(lead_phones)
                    .values(lead_id=lead_id, number=f"+{next(_numbers)}", position=position)
                    .returning(lead_phones.c.id)
                )
            ).scalar_one()
            await connection.execute(
                sa.insert(phone_schedule).values(
                    phone_id=phone_id,
                    campaign_id=campaign_id,
                    lead_id=lead_id,
                    state="scheduled" if position == 0 else "standby",
                    next_dial_at=due_at if position == 0 else None,
                )
            )
            phone_ids.append(phone_id)
    await engine.dispose()
    return phone_ids


async def schedule_row(url: str, phone_id: int) -> sa.RowMapping:
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as connection:
        statement = sa.select(phone_schedule).where(phone_schedule.c.phone_id == phone_id)
        row = (await connection.execute(statement)).mappings().one()
    await engine.dispose()
    return row


async def attempt_row(url: str, attempt_id: uuid.UUID) -> sa.RowMapping | None:
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as connection:
        statement = sa.text("SELECT * FROM call_attempts WHERE attempt_id = :id")
        row = (await connection.execute(statement, {"id": attempt_id})).mappings().first()
    await engine.dispose()
    return row


def new_attempt(due: DuePhone, node: str, at: datetime = T0) -> NewAttempt:
    return NewAttempt(
        attempt_id=uuid.uuid4(),
        campaign_id=due.campaign_id,
        lead_id=due.lead_id,
        phone_id=due.phone_id,
        number=due.number,
        caller_id="+380441112233",
        attempt_number=due.lead_attempts + 1,
        node=node,
        created_at=at,
    )


async def new_campaign(store: PgStore) -> int:
    return await store.ensure_campaign(f"campaign-{uuid.uuid4().hex[:8]}")


# --- migrations -------------------------------------------------------------------------------


async def table_names(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    await engine.dispose()
    return set(names)


async def test_migrate_up_down_up(lab: Lab) -> None:
    expected = set(metadata.tables)
    head = head_revision()
    assert head == sorted(p.name for p in MIGRATIONS.glob("0*.py"))[-1][:4]
    async with throwaway_database(lab.database_url) as url:
        assert await current_revision(url) is None
        assert await migrate(url) == head
        assert expected <= await table_names(url)
        assert await downgrade(url, "0001") == "0001"
        assert not await table_names(url) & {
            "caller_id_state_changes", "do_not_call", "blocked_dials"
        }  # fmt: skip
        assert await migrate(url, "0002") == "0002"
        assert "caller_id_state_changes" in await table_names(url)
        assert not await table_names(url) & {"do_not_call", "blocked_dials"}
        assert await downgrade(url, "base") is None
        assert await table_names(url) <= {"alembic_version"}
        assert await migrate(url) == head
        assert expected <= await table_names(url)
        assert await migrate(url) == head  # already at head: nothing to do


CATALOG = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, column_default
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> 'alembic_version'
          AND table_name IN (SELECT tablename FROM pg_tables)""",  # views: test_reports.py
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
          AND conrelid::regclass::text <> 'alembic_version'""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> 'alembic_version'""",
}


async def catalog(url: str) -> dict[str, set[tuple[object, ...]]]:
    """What PostgreSQL itself says the schema is: columns, constraints, index definitions."""
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as connection:
        found = {
            part: {tuple(row) for row in await connection.execute(sa.text(query))}
            for part, query in CATALOG.items()
        }
    await engine.dispose()
    return found


async def test_migrated_schema_matches_the_tables_module(lab: Lab, db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1)
    async with engine.connect() as connection:
        diffs = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"compare_type": True, "compare_server_default": True}
                ),
                metadata,
            )
        )
    await engine.dispose()
    assert diffs == []
    async with throwaway_database(lab.database_url) as created_url:
        engine = make_engine(created_url, pool_size=1)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        await engine.dispose()
        from_metadata = await catalog(created_url)
    migrated = await catalog(db_url)
    assert len(migrated["constraints"]) > 20
    assert migrated == from_metadata


async def test_store_refuses_a_database_not_at_head(lab: Lab) -> None:
    async with throwaway_database(lab.database_url) as url:
        store = PgStore(url)
        try:
            assert not await store.is_at_head()
            with pytest.raises(SchemaNotAtHead, match=r"run `dialerd migrate`") as raised:
                await store.require_head()
            assert str(raised.value).startswith("database is at revision none")
            assert f"dialerd needs {head_revision()}" in str(raised.value)
            await migrate(url)
            assert await store.is_at_head()
        finally:
            await store.close()


async def test_unreachable_database_is_retryable(db_url: str) -> None:
    store = PgStore(sa.make_url(db_url).set(port=1).render_as_string(hide_password=False))
    try:
        with pytest.raises(StorageUnavailable, match="creating a campaign"):
            await store.ensure_campaign("x")
    finally:
        await store.close()


async def test_wrong_password_is_fatal(db_url: str) -> None:
    url = sa.make_url(db_url).set(password="wrong").render_as_string(hide_password=False)
    store = PgStore(url)
    try:
        with pytest.raises(StorageConfigError, match="password"):
            await store.ensure_campaign("x")
    finally:
        await store.close()


# --- campaigns and claims -----------------------------------------------------------------


async def test_ensure_campaign_is_idempotent(store: PgStore) -> None:
    first = await store.ensure_campaign("spring-sale")
    assert await store.ensure_campaign("spring-sale") == first
    assert await store.ensure_campaign("autumn-sale") != first


async def test_claim_returns_due_phones_with_what_dialing_needs(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    other = await new_campaign(store)
    phones = await seed_lead(db_url, campaign, 3)
    await seed_lead(db_url, campaign, 1, due_at=T0 + timedelta(minutes=5))  # not due yet
    await seed_lead(db_url, other, 1)  # another campaign's

    claimed = await store.claim_due_phones(campaign, NODE_A, 10, 30.0, T0)

    assert len(claimed) == 1
    due = claimed[0]
    assert (due.phone_id, due.next_phone_id, due.campaign_id) == (phones[0], phones[1], campaign)
    assert (due.lead_name, due.time_zone, due.attempts, due.lead_attempts) == (
        "Olena",
        "Europe/Kyiv",
        0,
        0,
    )
    assert due.lease_until == T0 + timedelta(seconds=30)
    row = await schedule_row(db_url, phones[0])
    assert (row["state"], row["leased_by"]) == ("leased", NODE_A)
    assert await store.claim_due_phones(campaign, NODE_B, 10, 30.0, T0) == []


async def test_next_phone_wraps_round_to_the_first_standby(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    first, second, third = await seed_lead(db_url, campaign, 3)
    engine = make_engine(db_url, pool_size=1)
    async with engine.begin() as connection:
        by_phone = phone_schedule.c.phone_id
        await connection.execute(
            sa.update(phone_schedule)
            .where(by_phone == first)
            .values(state="standby", next_dial_at=None)
        )
        await connection.execute(
            sa.update(phone_schedule).where(by_phone == second).values(state="exhausted")
        )
        await connection.execute(
            sa.update(phone_schedule)
            .where(by_phone == third)
            .values(state="scheduled", next_dial_at=T0)
        )
    await engine.dispose()

    [due] = await store.claim_due_phones(campaign, NODE_A, 10, 30.0, T0)

    assert (due.phone_id, due.next_phone_id) == (third, first)


async def test_expired_lease_is_reclaimed_and_the_old_holder_cannot_dial(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    [phone] = await seed_lead(db_url, campaign, 1)
    [held] = await store.claim_due_phones(campaign, NODE_A, 10, 30.0, T0)
    assert (
        await store.claim_due_phones(campaign, NODE_B, 10, 30.0, T0 + timedelta(seconds=29)) == []
    )

    [taken] = await store.claim_due_phones(campaign, NODE_B, 10, 30.0, T0 + timedelta(seconds=31))

    assert taken.phone_id == held.phone_id == phone
    with pytest.raises(LeaseLost, match=f"phone {phone} is not leased by node 'node-a'"):
        await store.create_attempt(new_attempt(held, NODE_A))
    await store.create_attempt(new_attempt(taken, NODE_B))
    assert (await schedule_row(db_url, phone))["state"] == "dialing"


async def test_create_attempt_refuses_a_phone_never_leased(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    [phone] = await seed_lead(db_url, campaign, 1)
    [due] = await store.claim_due_phones(campaign, NODE_A, 10, 30.0, T0)
    assert await store.release_leases(NODE_A, [phone]) == 1
    attempt = new_attempt(due, NODE_A)

    with pytest.raises(LeaseLost):
        await store.create_attempt(attempt)

    assert await attempt_row(db_url, attempt.attempt_id) is None
    assert (await schedule_row(db_url, phone))["state"] == "scheduled"


async def test_release_leases_puts_phones_back_unchanged(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    phones = [(await seed_lead(db_url, campaign, 1))[0] for _ in range(3)]
    claimed = await store.claim_due_phones(campaign, NODE_A, 10, 30.0, T0)
    assert sorted(d.phone_id for d in claimed) == sorted(phones)

    assert await store.release_leases(NODE_B, phones) == 0  # not B's to release
    assert await store.release_leases(NODE_A, phones[:2]) == 2

    rows = [await schedule_row(db_url, phone) for phone in phones]
    assert [r["state"] for r in rows] == ["scheduled", "scheduled", "leased"]
    assert [r["next_dial_at"] for r in rows[:2]] == [T0, T0]
    assert rows[0]["leased_by"] is None


async def test_record_results_is_idempotent(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    phone, spare = await seed_lead(db_url, campaign, 2)
    [due] = await store.claim_due_phones(campaign, NODE_A, 1, 30.0, T0)
    attempt = new_attempt(due, NODE_A)
    await store.create_attempt(attempt)
    ended = T0 + timedelta(seconds=40)
    result = AttemptResult(attempt.attempt_id, Outcome.NO_ANSWER, ended, ast_reason=3)
    retry = T0 + timedelta(hours=2)
    plan = [NextDial(phone, PhoneState.STANDBY, None), NextDial(spare, PhoneState.SCHEDULED, retry)]

    await store.record_results([(result, plan)])
    replay = AttemptResult(attempt.attempt_id, Outcome.CONNECTED, ended + timedelta(seconds=9))
    await store.record_results([(replay, [NextDial(phone, PhoneState.DONE, None)])])

    row = await attempt_row(db_url, attempt.attempt_id)
    assert row is not None
    assert (row["outcome"], row["ended_at"], row["ast_reason"]) == ("no_answer", ended, 3)
    dialled, next_one = await schedule_row(db_url, phone), await schedule_row(db_url, spare)
    assert (dialled["state"], dialled["attempts"], dialled["last_outcome"]) == (
        "standby",
        1,
        "no_answer",
    )
    assert dialled["leased_by"] is None
    assert (next_one["state"], next_one["next_dial_at"], next_one["attempts"]) == (
        "scheduled",
        retry,
        0,
    )


async def test_open_attempts_lists_unended_attempts_of_the_node(
    store: PgStore, db_url: str
) -> None:
    node, idle_node = f"node-{uuid.uuid4().hex}", f"node-{uuid.uuid4().hex}"
    campaign = await new_campaign(store)
    for _ in range(3):
        await seed_lead(db_url, campaign, 1)
    first, second, third = await store.claim_due_phones(campaign, node, 3, 30.0, T0)
    attempts = [
        new_attempt(d, node, T0 + timedelta(seconds=i)) for i, d in enumerate((first, second))
    ]
    for attempt in attempts:
        await store.create_attempt(attempt)
    await store.mark_originated(attempts[0].attempt_id, T0 + timedelta(seconds=1))
    other = new_attempt(third, node)
    await store.create_attempt(other)
    done = AttemptResult(other.attempt_id, Outcome.BUSY, T0 + timedelta(seconds=5))
    await store.record_results([(done, [NextDial(third.phone_id, PhoneState.EXHAUSTED, None)])])

    open_now = await store.open_attempts(node)

    assert [o.attempt_id for o in open_now] == [a.attempt_id for a in attempts]
    assert open_now[0].originated_at == T0 + timedelta(seconds=1)
    assert open_now[1].originated_at is None
    assert open_now[0].number == first.number
    assert await store.open_attempts(idle_node) == []


async def test_retry_rules_cannot_set_claim_states(store: PgStore) -> None:
    result = AttemptResult(uuid.uuid4(), Outcome.BUSY, T0)
    with pytest.raises(ValueError, match="cannot put phone 7 in leased"):
        await store.record_results([(result, [NextDial(7, PhoneState.LEASED, T0)])])


# --- two nodes at once ------------------------------------------------------------------------


async def dial_round(store: PgStore, node: str, campaign: int, now: datetime) -> list[DuePhone]:
    """Claim, 'dial' and finish a batch as a node would: each phone once, then the next one."""
    claimed = await store.claim_due_phones(campaign, node, 7, 30.0, now)
    batch = []
    for due in claimed:
        attempt = new_attempt(due, node, now)
        await store.create_attempt(attempt)
        plan = [NextDial(due.phone_id, PhoneState.EXHAUSTED, None)]
        if due.next_phone_id is not None:
            plan.append(NextDial(due.next_phone_id, PhoneState.SCHEDULED, now))
        batch.append((AttemptResult(attempt.attempt_id, Outcome.NO_ANSWER, now), plan))
    await store.record_results(batch)
    return claimed


async def test_two_nodes_never_claim_the_same_phone_or_lead_at_once(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    all_phones = []
    for n in range(120):
        all_phones += await seed_lead(db_url, campaign, 1 + n % 3)
    other = PgStore(db_url)
    seen: list[int] = []
    try:
        for step in itertools.count():
            now = T0 + timedelta(seconds=step)
            a, b = await asyncio.gather(
                dial_round(store, NODE_A, campaign, now), dial_round(other, NODE_B, campaign, now)
            )
            assert not {d.phone_id for d in a} & {d.phone_id for d in b}
            assert not {d.lead_id for d in a} & {d.lead_id for d in b}
            seen += [d.phone_id for d in a + b]
            if not a and not b:
                break
    finally:
        await other.close()
    assert sorted(seen) == sorted(all_phones)  # every phone dialled exactly once, none left


async def test_lead_window_and_fields_round_trip(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    engine = make_engine(db_url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(leads).values(
                campaign_id=campaign,
                call_window_start=time(9),
                call_window_end=time(18),
                fields={"city": "Lviv"},
            )
        )
        with pytest.raises(sa.exc.IntegrityError, match="ck_leads_call_window"):
            async with connection.begin_nested():
                await connection.execute(
                    sa.insert(leads).values(campaign_id=campaign, call_window_start=time(9))
                )
    await engine.dispose()
