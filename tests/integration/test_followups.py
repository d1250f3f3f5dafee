"""The follow-up outbox against the lab's PostgreSQL, and its sender against a real HTTP server.

Outcomes go through ``PgStore.record_results`` as the daemon writes them; the events are
posted by a ``WebhookSender`` in this process to a loopback server (tests/webhook_server.py)
that fails, hangs and recovers as each test scripts it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dialerd.domain import AttemptResult, NextDial, Outcome, PhoneState
from dialerd.followup_settings import FollowupSettings
from dialerd.ports import SystemClock
from dialerd.storage import PgStore
from dialerd.storage.outbox import PgOutbox
from dialerd.webhooks import WebhookSender, post_json
from tests.integration.daemon import free_port, query
from tests.integration.test_storage import NODE_A, T0, new_attempt, new_campaign, seed_lead
from tests.webhook_server import webhook_server

SECRET = "lab-webhook-secret"
EVENTS = """SELECT kind, state, tries, last_error, payload FROM followup_events
WHERE campaign_id = $1 ORDER BY id"""


async def campaign_name(db_url: str, campaign_id: int) -> str:
    (row,) = await query(db_url, "SELECT name FROM campaigns WHERE id = $1", campaign_id)
    return str(row["name"])


def settings(url: str, **delivery: Any) -> FollowupSettings:
    return FollowupSettings.model_validate(
        {"url": url, "secret": SECRET, "delivery": {"backoff_s": 0.1, **delivery}}
    )


async def end_call(
    store: PgStore, db_url: str, campaign: int, outcome: Outcome, *, retry: bool = False
) -> uuid.UUID:
    """One lead, one attempt, ended with ``outcome``; scheduled again if ``retry``."""
    (phone,) = await seed_lead(db_url, campaign, 1)
    [due] = await store.claim_due_phones(campaign, NODE_A, 1, 30.0, T0)
    attempt = new_attempt(due, NODE_A)
    await store.create_attempt(attempt)
    result = AttemptResult(attempt.attempt_id, outcome, T0 + timedelta(seconds=30))
    state = PhoneState.SCHEDULED if retry else PhoneState.EXHAUSTED
    at = T0 + timedelta(hours=1) if retry else None
    await store.record_results([(result, [NextDial(phone, state, at)])])
    return attempt.attempt_id


async def use_rules(store: PgStore, db_url: str, campaign: int, config: FollowupSettings) -> str:
    name = await campaign_name(db_url, campaign)
    store.followup_rules = {name: config.rules()}
    return name


def sender(
    store: PgStore, by_campaign: Mapping[str, FollowupSettings], batch: int = 20
) -> WebhookSender:
    clock = SystemClock()
    return WebhookSender(PgOutbox(store), lambda: by_campaign, clock, poll_s=0.05, batch=batch)


async def deliver_until(sender: WebhookSender, done: Any, timeout_s: float = 20) -> None:
    async with asyncio.timeout(timeout_s):
        while not await done():
            await sender.deliver_due()
            await asyncio.sleep(0.05)


async def test_an_outcome_writes_its_events_once_with_what_a_gateway_needs(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    name = await use_rules(store, db_url, campaign, settings("http://127.0.0.1:9/"))
    missed = await end_call(store, db_url, campaign, Outcome.NO_ANSWER, retry=True)
    await end_call(store, db_url, campaign, Outcome.CONNECTED)
    events = await query(db_url, EVENTS, campaign)
    assert [(e["kind"], e["state"], e["tries"]) for e in events] == [("missed_call", "pending", 0)]
    payload = json.loads(events[0]["payload"])
    assert (payload["id"], payload["event"], payload["campaign"]) == (
        f"missed_call:{missed}",
        "missed_call",
        name,
    )
    assert payload["attempt"] == {
        "id": str(missed),
        "number": 1,
        "outcome": "no_answer",
        "ended_at": (T0 + timedelta(seconds=30)).isoformat(),
        "last": False,
    }
    assert payload["lead"]["name"] == "Olena"
    assert payload["number"].startswith("+380")


async def test_last_attempt_mode_waits_for_the_lead_to_be_done(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    config = FollowupSettings.model_validate(
        {"url": "http://127.0.0.1:9/", "secret": SECRET, "missed_call_mode": "last_attempt"}
    )
    await use_rules(store, db_url, campaign, config)
    await end_call(store, db_url, campaign, Outcome.BUSY, retry=True)
    last = await end_call(store, db_url, campaign, Outcome.BUSY, retry=False)
    rows = await query(
        db_url, "SELECT attempt_id FROM followup_events WHERE campaign_id = $1", campaign
    )
    assert [r["attempt_id"] for r in rows] == [last]


async def test_dropped_calls_carry_one_promo_code_per_customer_unique_across_customers(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    await use_rules(store, db_url, campaign, settings("http://127.0.0.1:9/"))
    for _ in range(20):
        await end_call(store, db_url, campaign, Outcome.ABANDONED)
    rows = await query(
        db_url,
        "SELECT lead_id, payload->>'promo_code' AS code FROM followup_events"
        " WHERE campaign_id = $1 AND kind = 'dropped_call'",
        campaign,
    )
    assert len(rows) == 20
    codes = {r["code"] for r in rows}
    assert len(codes) == 20
    stored = await query(db_url, "SELECT lead_id, code FROM promo_codes")
    assert {(r["lead_id"], r["code"]) for r in rows} <= {(s["lead_id"], s["code"]) for s in stored}


async def test_a_gateway_that_fails_then_hangs_then_recovers_gets_the_event_with_one_key(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    with webhook_server("500", "hang", "ok") as server:
        config = settings(server.url, timeout_s=0.5, max_tries=5)
        name = await use_rules(store, db_url, campaign, config)
        attempt = await end_call(store, db_url, campaign, Outcome.NO_ANSWER)
        webhooks = sender(store, {name: config})
        await webhooks.deliver_due()
        assert await errors(db_url, campaign) == [("pending", 1, "HTTP 500")]
        await deliver_until(webhooks, lambda: tried(db_url, campaign, 2))
        assert await errors(db_url, campaign) == [("pending", 2, "no answer within 0.5 s")]
        await deliver_until(webhooks, lambda: sent(db_url, campaign))
    assert await errors(db_url, campaign) == [("sent", 3, None)]
    received = server.all_received()
    assert [r.answered for r in received] == ["500", "hang", "ok"]
    assert {r.key for r in received} == {f"missed_call:{attempt}"}
    assert len({r.body for r in received}) == 1
    assert all(r.signed_with(SECRET) and not r.signed_with("other") for r in received)
    assert received[0].headers["X-Dialerd-Event"] == "missed_call"
    counts = webhooks.counts[(name, "missed_call")]
    assert (counts.sent, counts.failed, counts.dead) == (1, 2, 0)


async def test_an_event_is_dead_lettered_after_max_tries(store: PgStore, db_url: str) -> None:
    campaign = await new_campaign(store)
    with webhook_server(default="500") as server:
        config = settings(server.url, max_tries=2)
        name = await use_rules(store, db_url, campaign, config)
        await end_call(store, db_url, campaign, Outcome.BUSY)
        webhooks = sender(store, {name: config})
        await deliver_until(webhooks, lambda: dead(db_url, campaign))
        await asyncio.sleep(0.5)  # longer than any backoff: a dead event is never tried again
        await webhooks.deliver_due()
    assert await errors(db_url, campaign) == [("dead", 2, "HTTP 500")]
    assert len(server.all_received()) == 2
    counts = webhooks.counts[(name, "missed_call")]
    assert (counts.sent, counts.failed, counts.dead) == (0, 2, 1)


async def test_two_nodes_sending_at_once_never_send_an_event_twice(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    with webhook_server() as server:
        config = settings(server.url)
        name = await use_rules(store, db_url, campaign, config)
        for _ in range(30):
            await end_call(store, db_url, campaign, Outcome.NO_ANSWER)
        second = PgStore(db_url)
        try:
            # small batches: many rounds of the two nodes interleave
            nodes = [sender(store, {name: config}, 4), sender(second, {name: config}, 4)]
            async with asyncio.timeout(30):
                while len(server.delivered()) < 30:
                    await asyncio.gather(*(node.deliver_due() for node in nodes))
        finally:
            await second.close()
        keys = [r.key for r in server.delivered()]
    assert len(keys) == len(set(keys)) == 30
    assert all(n.counts[(name, "missed_call")].sent > 0 for n in nodes), "both nodes took part"


async def errors(db_url: str, campaign: int) -> list[tuple[str, int, str | None]]:
    rows = await query(
        db_url,
        "SELECT state, tries, last_error FROM followup_events WHERE campaign_id = $1",
        campaign,
    )
    return [(r["state"], r["tries"], r["last_error"]) for r in rows]


async def tried(db_url: str, campaign: int, tries: int) -> bool:
    return [e[1] for e in await errors(db_url, campaign)] == [tries]


async def sent(db_url: str, campaign: int) -> bool:
    return [e[0] for e in await errors(db_url, campaign)] == ["sent"]


async def dead(db_url: str, campaign: int) -> bool:
    return [e[0] for e in await errors(db_url, campaign)] == ["dead"]


async def test_post_says_why_a_try_failed() -> None:
    port = free_port()  # nothing listens there
    refused = await post_json(f"http://127.0.0.1:{port}/x", b"{}", {}, 1.0)
    assert refused is not None
    assert refused.startswith(f"cannot reach 127.0.0.1:{port}: ")
    with webhook_server("404", "ok") as server:
        assert await post_json(server.url + "?a=1", b"{}", {"X-A": "b"}, 1.0) == "HTTP 404"
        assert await post_json(server.url + "?a=1", b'{"k": 1}', {"X-A": "b"}, 1.0) is None
        last = server.all_received()[-1]
    assert (last.path, last.body, last.headers["X-A"]) == ("/hooks?a=1", b'{"k": 1}', "b")
    assert last.headers["Content-Type"] == "application/json"
