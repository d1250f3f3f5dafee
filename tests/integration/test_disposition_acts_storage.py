"""Disposition acts in the lab's PostgreSQL: while the call is still up, and owned callbacks.

An agent often disposes before hanging up: the attempt is still open and its phone is
``dialing``. The act must then survive the call's outcome (whose retry rules would set the
phone) and apply once the outcome is written. An owned callback is claimed only while its
agent is ready.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from dialerd.domain import AttemptResult, Disposition, NextDial, Outcome, PhoneState
from dialerd.followups import FollowupRules
from dialerd.storage import PgStore
from dialerd.storage.callbacks import PgCallbacks
from dialerd.storage.dispositions import PgDispositions
from tests.integration.daemon import query
from tests.integration.test_storage import NODE_A, T0, new_attempt, new_campaign, seed_lead

STATES = "SELECT id, state FROM lead_phones p JOIN phone_schedule s ON s.phone_id = p.id"


async def states(db_url: str, phones: list[int]) -> list[str]:
    rows = {r["id"]: r["state"] for r in await query(db_url, STATES)}
    return [rows[p] for p in phones]


async def dialling(store: PgStore, db_url: str, phones: int) -> tuple[list[int], uuid.UUID]:
    """A lead with `phones` phones whose first is being dialled now."""
    campaign = await new_campaign(store)
    ids = await seed_lead(db_url, campaign, phones)
    (due,) = await store.claim_due_phones(campaign, NODE_A, 1, 30.0, T0)
    attempt = new_attempt(due, NODE_A)
    await store.create_attempt(attempt)
    return ids, attempt.attempt_id


async def ended(store: PgStore, attempt: uuid.UUID, phone: int, retry: PhoneState) -> None:
    """The call's outcome (abandoned: the agent's leg dropped), with the retry rules' plan."""
    ended = T0 + timedelta(seconds=60)
    result = AttemptResult(attempt, Outcome.ABANDONED, ended, agent="agent01")
    later = T0 + timedelta(hours=1) if retry is PhoneState.SCHEDULED else None
    await store.record_results([(result, [NextDial(phone, retry, later)])])


async def test_a_wrong_number_said_during_the_call_applies_once_it_ends(
    store: PgStore, db_url: str
) -> None:
    phones, attempt = await dialling(store, db_url, 2)
    said = Disposition(attempt, "wrong_number", "agent01", "", "api")
    recorded = await PgDispositions(store).record(said)
    assert recorded.act == "wrong_number"
    assert await states(db_url, phones) == ["dialing", "standby"]  # the call is still up
    await ended(store, attempt, phones[0], PhoneState.SCHEDULED)  # retry rules: again
    assert await states(db_url, phones) == ["blocked", "scheduled"]


async def test_a_sale_said_during_the_call_closes_the_lead_once_it_ends(
    store: PgStore, db_url: str
) -> None:
    phones, attempt = await dialling(store, db_url, 2)
    await PgDispositions(store).record(Disposition(attempt, "sale", "agent01", "", "api"))
    await ended(store, attempt, phones[0], PhoneState.SCHEDULED)
    assert await states(db_url, phones) == ["done", "done"]


async def test_an_owned_callback_waits_for_its_agent(store: PgStore, db_url: str) -> None:
    phones, attempt = await dialling(store, db_url, 1)
    await ended(store, attempt, phones[0], PhoneState.DONE)
    at = T0 + timedelta(minutes=5)
    callback = Disposition(attempt, "callback", "agent07", "", "ami", callback_at=at, owned=True)
    assert (await PgDispositions(store).record(callback)).act == "callback"
    (request,) = await query(
        db_url,
        "SELECT * FROM callback_requests WHERE lead_id IN"
        " (SELECT lead_id FROM call_attempts WHERE attempt_id = $1)",
        attempt,
    )
    assert (request["source"], request["agent"], request["due_at"]) == (
        "disposition",
        "agent07",
        at,
    )
    claims, campaign, now = PgCallbacks(store), request["campaign_id"], at + timedelta(seconds=1)
    assert await claims.claim(campaign, NODE_A, 5, 30.0, now, agents=["agent01"]) == []
    (due,) = await claims.claim(campaign, NODE_A, 5, 30.0, now, agents=["agent01", "agent07"])
    assert due.phone_id == phones[0]


async def test_a_callback_booked_by_a_disposition_sends_its_event(
    store: PgStore, db_url: str
) -> None:
    phones, attempt = await dialling(store, db_url, 1)
    await ended(store, attempt, phones[0], PhoneState.DONE)
    (campaign,) = await query(
        db_url,
        "SELECT c.id, c.name FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.attempt_id = $1",
        attempt,
    )
    store.followup_rules = {campaign["name"]: FollowupRules(kinds=frozenset())}
    at = T0 + timedelta(minutes=5)
    callback = Disposition(attempt, "callback", "agent07", "", "api", callback_at=at)
    await PgDispositions(store).record(callback)
    moved = Disposition(
        attempt, "callback", "agent07", "", "api", callback_at=at + timedelta(hours=1)
    )
    await PgDispositions(store).record(moved)  # the same request, later: no second event
    (request,) = await query(
        db_url, "SELECT id, due_at FROM callback_requests WHERE campaign_id = $1", campaign["id"]
    )
    assert request["due_at"] == at + timedelta(hours=1)
    events = await query(
        db_url, "SELECT idempotency_key FROM followup_events WHERE campaign_id = $1", campaign["id"]
    )
    assert [e["idempotency_key"] for e in events] == [
        f"callback_requested:callback-{request['id']}"
    ]
