"""AMD results in PostgreSQL: every column of the result recorded, voicemail drops counted
per lead over the span asked (the daily cap per lead, docs/amd.md)."""

from __future__ import annotations

from datetime import timedelta

from dialerd.domain import Amd, AttemptResult, NextDial, Outcome, PhoneState
from dialerd.storage import PgStore
from tests.integration.test_storage import (
    NODE_A,
    T0,
    attempt_row,
    new_attempt,
    new_campaign,
    seed_lead,
)


async def ended_attempt(
    store: PgStore, db_url: str, campaign: int, amd: Amd | None, minutes: int
) -> int:
    """A lead with one attempt that ended `minutes` after T0 with `amd`; its lead id."""
    [phone] = await seed_lead(db_url, campaign, 1)
    [due] = await store.claim_due_phones(campaign, NODE_A, 1, 30.0, T0)
    attempt = new_attempt(due, NODE_A)
    await store.create_attempt(attempt)
    outcome = Outcome.MACHINE if amd and amd.action != "agent" else Outcome.CONNECTED
    result = AttemptResult(attempt.attempt_id, outcome, T0 + timedelta(minutes=minutes), amd=amd)
    await store.record_results([(result, [NextDial(phone, PhoneState.DONE, None)])])
    row = await attempt_row(db_url, attempt.attempt_id)
    assert row is not None
    recorded = (row["amd_status"], row["amd_cause"], row["amd_ms"], row["amd_action"])
    assert recorded == ((amd.status, amd.cause, amd.ms, amd.action) if amd else (None,) * 4)
    return due.lead_id


async def test_amd_results_are_recorded_and_drops_counted_per_lead(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    drop = Amd("MACHINE", "LONGGREETING-2000-1500", 2140, "message")
    dropped = await ended_attempt(store, db_url, campaign, drop, minutes=10)
    hung_up = await ended_attempt(
        store, db_url, campaign, Amd("MACHINE", "MAXWORDS-3-3", 1500, "hangup"), minutes=10
    )
    person = await ended_attempt(
        store, db_url, campaign, Amd("HUMAN", "HUMAN-800-800", 1900, "agent"), minutes=10
    )
    without = await ended_attempt(store, db_url, campaign, None, minutes=10)
    leads = [dropped, hung_up, person, without]
    assert await store.voicemail_drops(leads, T0) == {dropped: 1}
    assert await store.voicemail_drops(leads, T0 + timedelta(minutes=11)) == {}
