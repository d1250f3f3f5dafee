"""Follow-up webhooks from the real daemon dialling the lab, to a loopback HTTP server.

A customer who does not answer gets a missed-call webhook; calls answered with no agent
free (more dials than agents) get one dropped-call webhook each, with a promo code no other
customer has; a SIGKILL between the outcomes and their webhooks loses no event and every
event reaches the gateway under the one idempotency key it was written with.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.webhook_server import WebhookServer, webhook_server

SECRET = "lab-webhook-secret"
NO_ANSWER = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "0", "LAB_CONGESTION_PCT": "0"}
ALL_BUSY = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0"}
ALL_ANSWER = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
              "LAB_TALK_MIN_S": "4", "LAB_TALK_MAX_S": "5"}  # fmt: skip
FOLLOWUPS = """\
followups:
  url: "{url}"
  secret: "{secret}"
  kinds: [missed_call, dropped_call]
  delivery:
    max_tries: 20
    backoff_s: 0.5
    max_backoff_s: 2
    timeout_s: 1
"""
EVENTS = "SELECT idempotency_key, kind, state, attempt_id, payload FROM followup_events"


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def dialer_for(lab: Lab, database: str, tmp_path: Path, server: WebhookServer, **kw: str) -> Dialer:
    campaign = CAMPAIGN + FOLLOWUPS.format(url=server.url, secret=SECRET)
    if "ratio" in kw:
        campaign = campaign.replace("lines:\n", f"lines:\n  dial_ratio: {kw['ratio']}\n")
    return Dialer(lab, database, tmp_path, retry_s=600, campaign_yaml=campaign)


def leads(path: Path, numbers: list[str]) -> Path:
    rows = [f"F{n},Customer {n},{number}" for n, number in enumerate(numbers)]
    path.write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")
    return path


def random_numbers(count: int) -> list[str]:
    picks = random.Random().sample(range(1_000_000, 9_999_999), count)
    return [f"+38050{n}" for n in picks]


async def ended(database: str, count: int) -> bool | str:
    rows = await query(
        database, "SELECT count(*) AS n FROM call_attempts WHERE ended_at IS NOT NULL"
    )
    return True if rows[0]["n"] >= count else f"{rows[0]['n']} of {count} attempts ended"


async def all_sent(database: str, count: int) -> bool | str:
    rows = await query(database, "SELECT state, count(*) AS n FROM followup_events GROUP BY 1")
    states = {r["state"]: r["n"] for r in rows}
    return True if states == {"sent": count} else f"events by state: {states}"


async def test_a_customer_who_does_not_answer_gets_a_missed_call_webhook(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    (number,) = random_numbers(1)
    with webhook_server() as server:
        dialer = dialer_for(lab, database, tmp_path, server)
        dialer.import_csv(leads(tmp_path / "leads.csv", [number]))
        async with lab_world(lab, **NO_ANSWER):
            dialer.start()
            try:  # it rings for ring_timeout_s (15 s) first
                await wait_until(lambda: all_sent(database, 1), timeout_s=45, interval_s=0.5)
            finally:
                assert dialer.stop() == 0
        (attempt,) = await query(database, "SELECT attempt_id, outcome FROM call_attempts")
        (delivered,) = server.delivered()
    assert attempt["outcome"] == "no_answer"
    assert delivered.signed_with(SECRET)
    assert delivered.key == f"missed_call:{attempt['attempt_id']}"
    payload = delivered.payload()
    assert (payload["event"], payload["number"], payload["lead"]["external_id"]) == (
        "missed_call",
        number,
        "F0",
    )
    assert payload["attempt"]["outcome"] == "no_answer"


async def test_dropped_calls_get_one_webhook_each_with_a_code_unique_across_customers(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    numbers = random_numbers(16)
    with webhook_server() as server:
        # three dials per free agent, everyone answers, agents stay busy: some wait, abandoned
        dialer = dialer_for(lab, database, tmp_path, server, ratio="3.0")
        dialer.import_csv(leads(tmp_path / "leads.csv", numbers))
        async with lab_world(lab, **ALL_ANSWER):
            dialer.start()
            try:
                await wait_until(lambda: ended(database, len(numbers)), timeout_s=45, interval_s=1)
                dropped = await query(
                    database, "SELECT attempt_id FROM call_attempts WHERE outcome = 'abandoned'"
                )
                assert len(dropped) >= 2, "the scenario must drop calls"
                await wait_until(lambda: all_sent(database, len(dropped)), 20, interval_s=0.5)
            finally:
                assert dialer.stop() == 0
        delivered = server.delivered()
    assert sorted(r.key for r in delivered) == sorted(f"dropped_call:{d[0]}" for d in dropped)
    codes = [r.payload()["promo_code"] for r in delivered]
    assert len(set(codes)) == len(codes), "a code given to two customers"
    stored = await query(database, "SELECT code FROM promo_codes")
    assert sorted(codes) == sorted(r["code"] for r in stored)
    assert all(r.signed_with(SECRET) for r in delivered)


async def test_a_sigkill_between_outcome_and_webhook_loses_no_event_and_keeps_its_key(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    numbers = random_numbers(8)
    with webhook_server(default="hang") as server:
        dialer = dialer_for(lab, database, tmp_path, server)
        dialer.import_csv(leads(tmp_path / "leads.csv", numbers))
        async with lab_world(lab, **ALL_BUSY):
            dialer.start()
            try:
                await wait_until(
                    lambda: ended(database, len(numbers)), timeout_s=30, interval_s=0.5
                )
                await wait_until(lambda: hanging(server), timeout_s=10, interval_s=0.2)
            finally:
                dialer.stop(signal.SIGKILL, timeout_s=10)
            written = await query(database, EVENTS)
            assert len(written) == len(numbers), "each busy customer's event was committed"
            assert all(e["state"] == "pending" for e in written)
            server.behave("ok")
            dialer.start()
            try:
                await wait_until(lambda: all_sent(database, len(numbers)), 30, interval_s=0.5)
            finally:
                assert dialer.stop() == 0
    keys = {e["idempotency_key"] for e in written}
    assert keys == {f"missed_call:{e['attempt_id']}" for e in written}
    assert {r.key for r in server.delivered()} == keys, "an event was lost"
    # every request ever made, before the kill or after, carried its event's one key
    by_attempt: dict[str, set[str]] = {}
    for request in server.all_received():
        by_attempt.setdefault(request.payload()["attempt"]["id"], set()).add(request.key)
    assert all(len(seen) == 1 for seen in by_attempt.values()), by_attempt
    assert len(by_attempt) == len(numbers)


async def hanging(server: WebhookServer) -> bool | str:
    await asyncio.sleep(0)
    return True if server.all_received() else "no webhook in flight yet"
