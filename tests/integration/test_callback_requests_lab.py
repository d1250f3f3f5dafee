"""Callback on request, from the real daemon dialling the lab (issue 9 item 3).

A customer who does not answer gets a missed-call webhook; their "reply 1" reaches the daemon
as ``POST /callbacks``; the daemon dials them back at once, ahead of everything else, the
customer answers and reaches an agent, and the request is settled as met within the deadline:
in ``callback_requests``, in the follow-up webhooks and in the metrics.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.daemon import (
    CAMPAIGN,
    Dialer,
    fresh_database,
    lab_world,
    post_json,
    query,
    scrape,
    wait_until,
)
from tests.integration.lab import Lab
from tests.webhook_server import WebhookServer, webhook_server

SECRET = "lab-webhook-secret"
ALL_BUSY = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0"}
NO_ANSWER = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "0", "LAB_CONGESTION_PCT": "0"}
ANSWER = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
          "LAB_TALK_MIN_S": "2", "LAB_TALK_MAX_S": "3"}  # fmt: skip
FOLLOWUPS = """\
followups:
  url: "{url}"
  secret: "{secret}"
  kinds: [missed_call]
  delivery:
    max_tries: 20
    backoff_s: 0.5
    max_backoff_s: 2
    timeout_s: 1
callbacks:
  deadline_s: 120
"""


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def kinds_sent(database: str, kinds: set[str]) -> bool | str:
    rows = await query(database, "SELECT kind FROM followup_events WHERE state = 'sent'")
    sent = {r["kind"] for r in rows}
    return True if kinds <= sent else f"sent so far: {sorted(sent)}"


async def settled(database: str) -> bool | str:
    rows = await query(database, "SELECT settled_at, outcome FROM callback_requests")
    return True if rows and rows[0]["settled_at"] else f"callback requests: {rows}"


LABELS = frozenset({("campaign", "labtest")})


async def counted(port: int, met: int = 0, missed: int = 0) -> bool | str:
    """The metrics read the settled requests from PostgreSQL every few seconds."""
    samples = scrape(port)
    seen = tuple(
        samples.get((f"dialerd_callbacks_deadline_{name}_total", LABELS))
        for name in ("met", "missed")
    )
    return True if seen == (met, missed) else f"deadline (met, missed): {seen}"


def by_kind(server: WebhookServer) -> dict[str, dict[str, Any]]:
    return {r.payload()["event"]: r.payload() for r in server.delivered()}


async def test_reply_1_after_a_missed_call_brings_a_callback_to_an_agent_within_the_deadline(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    number = f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"
    with webhook_server() as server:
        campaign = CAMPAIGN + FOLLOWUPS.format(url=server.url, secret=SECRET)
        dialer = Dialer(lab, database, tmp_path, retry_s=600, campaign_yaml=campaign)
        (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nC1,Customer,{number}\n")
        dialer.import_csv(tmp_path / "leads.csv")
        async with lab_world(lab, **NO_ANSWER) as ami:
            dialer.start()
            try:  # it rings for ring_timeout_s (15 s) first
                await wait_until(lambda: kinds_sent(database, {"missed_call"}), 45, 0.5)
                missed = by_kind(server)["missed_call"]
                for key, value in ANSWER.items():  # the customer now picks up
                    await ami.send_action("Setvar", {"Variable": key, "Value": value})
                reply = {"campaign": "labtest", "lead_id": missed["lead"]["id"]}
                status, answer = post_json(dialer.metrics_port, "/callbacks", reply)
                assert status == 201, answer
                again = post_json(dialer.metrics_port, "/callbacks", reply)  # a second "1"
                assert again == (200, {**answer, "created": False}), again
                await wait_until(lambda: settled(database), 30, 0.5)
                wanted = {"callback_requested", "callback_deadline_met"}
                await wait_until(lambda: kinds_sent(database, wanted), 15, 0.5)
                await wait_until(lambda: counted(dialer.metrics_port, met=1), 10, 0.5)
            finally:
                assert dialer.stop() == 0
    (request,) = await query(database, "SELECT * FROM callback_requests")
    attempts = await query(
        database, "SELECT attempt_id, outcome, agent FROM call_attempts ORDER BY created_at"
    )
    assert [a["outcome"] for a in attempts] == ["no_answer", "connected"]
    assert request["attempt_id"] == attempts[1]["attempt_id"]
    assert attempts[1]["agent"]
    assert request["met"] is True
    assert request["outcome"] == "connected"
    assert request["requested_at"] <= request["dialled_at"] <= request["connected_at"]
    assert request["connected_at"] <= request["deadline"]
    assert (request["deadline"] - request["requested_at"]).total_seconds() == 120
    events = by_kind(server)
    assert events["callback_deadline_met"]["callback"]["met"] is True
    assert events["callback_requested"]["number"] == number
    assert all(r.signed_with(SECRET) for r in server.delivered())


async def test_a_callback_the_customer_does_not_take_is_missed_and_counted(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    number = f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"
    with webhook_server() as server:
        campaign = CAMPAIGN + FOLLOWUPS.format(url=server.url, secret=SECRET)
        dialer = Dialer(lab, database, tmp_path, retry_s=600, campaign_yaml=campaign)
        (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nC1,Customer,{number}\n")
        dialer.import_csv(tmp_path / "leads.csv")
        async with lab_world(lab, **ALL_BUSY):
            dialer.start()
            try:
                await wait_until(lambda: kinds_sent(database, {"missed_call"}), 30, 0.5)
                done = dialer.run_cli("callback", "request", "labtest", "--phone", number)
                unknown = dialer.run_cli("callback", "request", "labtest", "--phone", "+380501")
                await wait_until(lambda: settled(database), 30, 0.5)
                wanted = {"callback_requested", "callback_missed"}
                await wait_until(lambda: kinds_sent(database, wanted), 15, 0.5)
                await wait_until(lambda: counted(dialer.metrics_port, missed=1), 10, 0.5)
            finally:
                assert dialer.stop() == 0
    assert (done.returncode, done.stderr) == (0, "")
    assert "recorded: due" in done.stdout
    assert unknown.returncode != 0
    assert "'+380501' is not an E.164 number" in unknown.stderr
    (request,) = await query(database, "SELECT * FROM callback_requests")
    assert (request["source"], request["outcome"], request["met"]) == ("cli", "busy", False)
    assert request["connected_at"] is None
    assert by_kind(server)["callback_missed"]["callback"]["outcome"] == "busy"
