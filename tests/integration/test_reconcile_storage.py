"""PgReconcile against the lab's PostgreSQL: an ``unknown`` attempt gets the outcome its CDR
row proves, once, and no phone becomes due because of it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from dialerd.domain import AttemptResult, NextDial, Outcome, PhoneState
from dialerd.reconcile import Reconciler
from dialerd.storage import PgStore
from dialerd.storage.connect import make_engine
from dialerd.storage.reconcile_sql import PgReconcile
from dialerd.storage.tables import asterisk_cdr
from tests.integration.test_storage import (
    NODE_A,
    T0,
    attempt_row,
    new_attempt,
    new_campaign,
    schedule_row,
    seed_lead,
)

AGENT = "Local/agent01@lab-agents-0000002a;1"


async def unknown_attempt(store: PgStore, db_url: str) -> tuple[uuid.UUID, int]:
    """An attempt ended unknown, its phone scheduled an hour on (as the daemon does)."""
    campaign = await new_campaign(store)
    [phone] = await seed_lead(db_url, campaign, 1)
    [due] = await store.claim_due_phones(campaign, NODE_A, 1, 30.0, T0)
    attempt = new_attempt(due, NODE_A)
    await store.create_attempt(attempt)
    ended = T0 + timedelta(seconds=70)
    retry = NextDial(phone, PhoneState.SCHEDULED, ended + timedelta(hours=1))
    result = AttemptResult(attempt.attempt_id, Outcome.UNKNOWN, ended)
    await store.record_results([(result, [retry])])
    return attempt.attempt_id, phone


async def write_cdr(db_url: str, uniqueid: uuid.UUID, disposition: str, dst: str = "") -> None:
    """A row as cdr_pgsql writes it: times in UTC, without a zone."""
    start = T0.replace(tzinfo=None)
    answered = disposition == "ANSWERED"
    engine = make_engine(db_url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(asterisk_cdr).values(
                uniqueid=str(uniqueid),
                disposition=disposition,
                dstchannel=dst,
                start=start,
                answer=start + timedelta(seconds=4) if answered else None,
                end=start + timedelta(seconds=30),
                channel="Local/+380501234567@lab-customers-00000001;1",
            )
        )
    await engine.dispose()


async def test_unknown_attempts_get_their_cdr_outcome_once_and_dial_nobody(
    store: PgStore, db_url: str
) -> None:
    connected, connected_phone = await unknown_attempt(store, db_url)
    busy, busy_phone = await unknown_attempt(store, db_url)
    no_cdr, no_cdr_phone = await unknown_attempt(store, db_url)
    await write_cdr(db_url, connected, "ANSWERED", AGENT)
    await write_cdr(db_url, busy, "BUSY")
    before = {p: await schedule_row(db_url, p) for p in (busy_phone, no_cdr_phone)}
    now = T0 + timedelta(minutes=5)
    reconciler = Reconciler(PgReconcile(store), lambda: now, lookback_h=1)

    assert await reconciler.once() == 2
    assert await reconciler.once() == 0

    row = await attempt_row(db_url, connected)
    assert row is not None
    assert (row["outcome"], row["outcome_before"], row["reconciled_at"]) == (
        "connected", "unknown", now,
    )  # fmt: skip
    assert row["ended_at"] == T0 + timedelta(seconds=30)  # Asterisk's end, read as UTC
    assert row["answered_at"] == T0 + timedelta(seconds=4)
    phone = await schedule_row(db_url, connected_phone)
    assert (phone["state"], phone["next_dial_at"], phone["attempts"]) == ("done", None, 1)
    assert phone["last_outcome"] == "connected"

    busy_row = await attempt_row(db_url, busy)
    assert busy_row is not None
    assert busy_row["outcome"] == "busy"
    busy_now = await schedule_row(db_url, busy_phone)
    assert (busy_now["state"], busy_now["next_dial_at"], busy_now["attempts"]) == (
        "scheduled", before[busy_phone]["next_dial_at"], 1,
    )  # fmt: skip  # the retry unknown gave it: not sooner, not counted twice
    assert busy_now["last_outcome"] == "busy"

    left = await attempt_row(db_url, no_cdr)
    assert left is not None
    assert (left["outcome"], left["reconciled_at"]) == ("unknown", None)
    assert await schedule_row(db_url, no_cdr_phone) == before[no_cdr_phone]


async def test_an_attempt_outside_the_lookback_is_left_alone(store: PgStore, db_url: str) -> None:
    old, _ = await unknown_attempt(store, db_url)
    await write_cdr(db_url, old, "NO ANSWER")
    later = T0 + timedelta(hours=3)
    assert await Reconciler(PgReconcile(store), lambda: later, lookback_h=1).once() == 0
    row = await attempt_row(db_url, old)
    assert row is not None
    assert row["outcome"] == "unknown"
