"""Callback requests in the lab's PostgreSQL: recorded, claimed ahead of the schedule,
settled by their call's outcome or by their deadline, with their follow-up events."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dialerd.callbacks import CallbackAsk, NoSuchLead
from dialerd.domain import AttemptResult, DuePhone, NextDial, Outcome, PhoneState
from dialerd.followups import FollowupKind, FollowupRules
from dialerd.storage import PgStore
from dialerd.storage.callbacks import PgCallbacks
from tests.integration.daemon import query
from tests.integration.test_storage import NODE_A, T0, new_attempt, new_campaign, seed_lead

LATER = T0 + timedelta(days=1)  # the phone's own schedule: not due today
EVENTS = "SELECT idempotency_key, kind, payload FROM followup_events WHERE campaign_id = $1"
REQUESTS = "SELECT * FROM callback_requests WHERE campaign_id = $1"


def open_now(phone: DuePhone, now: datetime) -> datetime | None:
    return None


async def named(db_url: str, campaign: int) -> str:
    (row,) = await query(db_url, "SELECT name FROM campaigns WHERE id = $1", campaign)
    return str(row["name"])


async def lead_of(db_url: str, phone_id: int) -> int:
    (row,) = await query(db_url, "SELECT lead_id FROM lead_phones WHERE id = $1", phone_id)
    return int(row["lead_id"])


async def counts(callbacks: PgCallbacks, campaign: str) -> dict[bool, int]:
    return {met: n for (name, met), n in (await callbacks.counts()).items() if name == campaign}


async def ask_for(store: PgStore, db_url: str, **kw: object) -> tuple[int, int, CallbackAsk]:
    campaign = await new_campaign(store)
    (phone,) = await seed_lead(db_url, campaign, 1, due_at=LATER)
    lead = await lead_of(db_url, phone)
    ask = CallbackAsk(await named(db_url, campaign), lead, None, 600, "api")
    return campaign, phone, ask


async def test_a_request_is_due_at_once_and_a_second_one_finds_it(
    store: PgStore, db_url: str
) -> None:
    campaign, phone, ask = await ask_for(store, db_url)
    callbacks = PgCallbacks(store)
    first = await callbacks.request(ask, T0, open_now, events=True)
    again = await callbacks.request(ask, T0 + timedelta(seconds=5), open_now, events=True)
    assert (first.created, again.created) == (True, False)
    assert again.row["id"] == first.row["id"]
    assert first.row["phone_id"] == phone
    assert (first.row["due_at"], first.row["deadline"]) == (T0, T0 + timedelta(seconds=600))
    (event,) = await query(db_url, EVENTS, campaign)
    assert event["idempotency_key"] == f"callback_requested:callback-{first.row['id']}"


async def test_a_closed_window_puts_the_callback_off_and_the_phone_finds_the_lead(
    store: PgStore, db_url: str
) -> None:
    campaign, phone, ask = await ask_for(store, db_url)
    (number,) = await query(db_url, "SELECT number FROM lead_phones WHERE id = $1", phone)
    by_phone = CallbackAsk(ask.campaign, None, number["number"], 600, "cli")
    opens = T0 + timedelta(hours=2)
    record = await PgCallbacks(store).request(by_phone, T0, lambda p, now: opens, events=False)
    assert (record.row["lead_id"], record.row["due_at"]) == (ask.lead_id, opens)
    assert await query(db_url, EVENTS, campaign) == []
    assert await PgCallbacks(store).claim(record.row["campaign_id"], NODE_A, 5, 30.0, T0) == []


async def test_unknown_leads_and_numbers_are_refused(store: PgStore, db_url: str) -> None:
    _, _, ask = await ask_for(store, db_url)
    callbacks = PgCallbacks(store)
    with pytest.raises(NoSuchLead, match="no lead 999999999"):
        await callbacks.request(
            CallbackAsk(ask.campaign, 999_999_999, None, 600, "api"), T0, open_now, False
        )
    with pytest.raises(NoSuchLead, match=r"no lead with phone \+380509999999"):
        await callbacks.request(
            CallbackAsk(ask.campaign, None, "+380509999999", 600, "api"), T0, open_now, False
        )


async def test_a_callback_is_claimed_ahead_of_the_schedule_and_settled_by_its_call(
    store: PgStore, db_url: str
) -> None:
    campaign, phone, ask = await ask_for(store, db_url)
    store.followup_rules = {ask.campaign: FollowupRules(kinds=frozenset())}
    callbacks = PgCallbacks(store)
    record = await callbacks.request(ask, T0, open_now, events=False)
    assert await store.claim_due_phones(campaign, NODE_A, 5, 30.0, T0) == []  # due tomorrow
    (due,) = await callbacks.claim(campaign, NODE_A, 5, 30.0, T0)
    assert due.phone_id == phone
    assert await callbacks.claim(campaign, NODE_A, 5, 30.0, T0) == [], "leased: claimed once"
    attempt = new_attempt(due, NODE_A, at=T0 + timedelta(seconds=1))
    await store.create_attempt(attempt)
    result = AttemptResult(
        attempt.attempt_id,
        Outcome.CONNECTED,
        ended_at=T0 + timedelta(seconds=90),
        originated_at=T0 + timedelta(seconds=1),
        agent_connected_at=T0 + timedelta(seconds=8),
        agent="agent01",
    )
    batch = [(result, [NextDial(phone, PhoneState.DONE, None)])]
    await store.record_results(batch)
    await store.record_results(batch)  # replayed after a crash: settled once
    (row,) = await query(db_url, "SELECT * FROM callback_requests WHERE id = $1", record.row["id"])
    assert (row["attempt_id"], row["outcome"], row["met"]) == (
        attempt.attempt_id,
        "connected",
        True,
    )
    assert row["connected_at"] == T0 + timedelta(seconds=8)
    events = await query(db_url, EVENTS, campaign)
    assert [e["kind"] for e in events] == [FollowupKind.CALLBACK_DEADLINE_MET.value]
    assert await counts(callbacks, ask.campaign) == {True: 1}


async def test_a_callback_answered_after_its_deadline_is_missed(
    store: PgStore, db_url: str
) -> None:
    campaign, phone, ask = await ask_for(store, db_url)
    callbacks = PgCallbacks(store)
    await callbacks.request(ask, T0, open_now, events=False)
    (due,) = await callbacks.claim(campaign, NODE_A, 1, 30.0, T0)
    attempt = new_attempt(due, NODE_A, at=T0)
    await store.create_attempt(attempt)
    late = T0 + timedelta(seconds=601)
    result = AttemptResult(attempt.attempt_id, Outcome.CONNECTED, late, agent_connected_at=late)
    await store.record_results([(result, [NextDial(phone, PhoneState.DONE, None)])])
    (row,) = await query(db_url, REQUESTS, campaign)
    assert (row["met"], row["outcome"]) == (False, "connected")


async def test_nobody_dialling_by_the_deadline_is_settled_missed_by_the_sweep(
    store: PgStore, db_url: str
) -> None:
    campaign, _, ask = await ask_for(store, db_url)
    callbacks = PgCallbacks(store)
    await callbacks.request(ask, T0, open_now, events=False)
    await callbacks.sweep(T0 + timedelta(seconds=599), {ask.campaign})
    assert (await query(db_url, REQUESTS, campaign))[0]["settled_at"] is None, "not yet due"
    assert await callbacks.sweep(T0 + timedelta(seconds=601), {ask.campaign}) >= 1
    assert await callbacks.sweep(T0 + timedelta(seconds=602), {ask.campaign}) == 0
    (row,) = await query(db_url, REQUESTS, campaign)
    assert (row["met"], row["outcome"], row["attempt_id"]) == (False, "not_dialled", None)
    (event,) = await query(db_url, EVENTS, campaign)
    assert event["kind"] == "callback_missed"
    assert await callbacks.claim(campaign, NODE_A, 5, 30.0, T0) == [], "settled: not dialled"
    assert await counts(callbacks, ask.campaign) == {False: 1}


async def test_a_lead_that_moved_on_to_its_next_phone_is_called_back_on_that_one(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    first, second = await seed_lead(db_url, campaign, 2, due_at=LATER)
    lead = await lead_of(db_url, first)
    ask = CallbackAsk(await named(db_url, campaign), lead, None, 600, "api")
    callbacks = PgCallbacks(store)
    record = await callbacks.request(ask, T0, open_now, events=False)
    assert record.row["phone_id"] == first
    # meanwhile the retry rules gave up on the first phone and scheduled the second
    await query(db_url, "UPDATE phone_schedule SET state = 'exhausted' WHERE phone_id = $1", first)
    await query(
        db_url,
        "UPDATE phone_schedule SET state = 'scheduled', next_dial_at = $2 WHERE phone_id = $1",
        second,
        LATER,
    )
    (due,) = await callbacks.claim(campaign, NODE_A, 5, 30.0, T0)
    assert due.phone_id == second
    attempt = new_attempt(due, NODE_A, at=T0)
    await store.create_attempt(attempt)
    result = AttemptResult(attempt.attempt_id, Outcome.NO_ANSWER, T0 + timedelta(seconds=20))
    await store.record_results([(result, [NextDial(second, PhoneState.EXHAUSTED, None)])])
    (row,) = await query(db_url, REQUESTS, campaign)
    assert (row["attempt_id"], row["outcome"], row["met"]) == (
        attempt.attempt_id,
        "no_answer",
        False,
    )


async def test_a_callback_put_off_at_dial_time_is_claimed_again_later_not_at_every_tick(
    store: PgStore, db_url: str
) -> None:
    campaign, phone, ask = await ask_for(store, db_url)
    callbacks = PgCallbacks(store)
    await callbacks.request(ask, T0, open_now, events=False)
    (due,) = await callbacks.claim(campaign, NODE_A, 1, 30.0, T0)
    # the screening put it off (its window closed meanwhile, say)
    assert await store.defer_phones(NODE_A, [phone], T0 + timedelta(hours=1)) == 1
    assert await callbacks.claim(campaign, NODE_A, 1, 30.0, T0 + timedelta(seconds=1)) == []
    (again,) = await callbacks.claim(campaign, NODE_A, 1, 30.0, T0 + timedelta(seconds=31))
    assert again.phone_id == due.phone_id
