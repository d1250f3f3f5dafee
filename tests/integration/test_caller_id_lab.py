"""Caller-ID rotation through the real daemon and Asterisk, checked against Asterisk's CDR.

Every customer is dialled four times (each call busy, retried after a few seconds). What
the customer was shown is read from Asterisk's own record of the customer's leg (the
Local channel's ;2 half, whose CDR `src` is the caller ID it received), never from what
dialerd says it sent.
"""

from __future__ import annotations

import signal
from collections import defaultdict
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, scrape, wait_until
from tests.integration.lab import Lab

KYIVSTAR, VODAFONE, LIFECELL, KYIV_LANDLINE = (
    "+380671000001",
    "+380501000001",
    "+380631000001",
    "+380442000001",
)
POOL = (KYIVSTAR, VODAFONE, LIFECELL, KYIV_LANDLINE)
ATTEMPTS = 4
CUSTOMERS = {  # lead -> (number, the pool number of the same operator)
    **{f"K{i}": (f"+38067555000{i}", KYIVSTAR) for i in range(3)},
    **{f"V{i}": (f"+38050555000{i}", VODAFONE) for i in range(3)},
    **{f"L{i}": (f"+38063555000{i}", LIFECELL) for i in range(3)},
}
ALL_BUSY = {
    "LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0",
    "LAB_BUSY_MIN_S": "1", "LAB_BUSY_MAX_S": "1",
}  # fmt: skip

CAMPAIGN = """\
name: {name}
queue: {queue}
region: UA
dial:
  trunk: "Local/{{number}}@{context}"
  ring_timeout_s: 15
  caller_name: "Lab Test"
caller_ids:
  numbers:
    - {{number: "+380671000001"}}
    - {{number: "+380501000001"}}
    - {{number: "+380631000001"}}
    - {{number: "+380442000001"}}
lines: {{max_lines: 20, calls_per_second: 20}}
retry:
  busy: {{delay_s: {retry_s}, max_attempts: 4}}
  max_attempts_per_phone: 4
  max_attempts_per_lead: 4
lease_s: 30
"""


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def all_dialled(url: str) -> bool | str:
    rows = await query(url, "SELECT count(*) AS n FROM call_attempts WHERE ended_at IS NOT NULL")
    done = rows[0]["n"]
    return True if done >= ATTEMPTS * len(CUSTOMERS) else f"{done} attempts ended"


def customer_legs(lab: Lab, attempt_ids: set[str]) -> dict[str, dict[str, str]]:
    """The CDR row of each attempt's customer leg (uniqueid `<attempt>-2`)."""
    return {
        row["uniqueid"].removesuffix("-2"): row
        for row in lab.cdr_rows()
        if row["uniqueid"].endswith("-2") and row["uniqueid"].removesuffix("-2") in attempt_ids
    }


def write_leads(path: Path) -> None:
    rows = [f"{lead},Customer {lead},{number}" for lead, (number, _) in CUSTOMERS.items()]
    path.write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")


async def test_customers_never_see_the_same_caller_id_twice_in_a_row(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, retry_s=3, campaign_yaml=CAMPAIGN)
    write_leads(tmp_path / "leads.csv")
    dialer.import_csv(tmp_path / "leads.csv")
    retired = dialer.cli("caller-id", "retire", dialer.campaign, KYIV_LANDLINE, "--reason", "test")
    assert "active -> retired" in retired
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            await wait_until(lambda: all_dialled(database), timeout_s=180, interval_s=1)
            metrics = scrape(dialer.metrics_port)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    busy = await query(database, "SELECT count(*) AS n FROM call_attempts WHERE outcome = 'busy'")
    labels = {("campaign", dialer.campaign), ("outcome", "busy")}
    assert metrics[("dialerd_calls_total", frozenset(labels))] == busy[0]["n"]
    retired_number = {("campaign", dialer.campaign), ("number", KYIV_LANDLINE)}
    assert metrics[("dialerd_caller_id_state", frozenset({*retired_number, ("state", "retired")}))]
    assert not metrics[
        ("dialerd_caller_id_state", frozenset({*retired_number, ("state", "active")}))
    ]
    attempts = await query(
        database,
        "SELECT a.attempt_id, a.caller_id, l.external_id FROM call_attempts a"
        " JOIN leads l ON l.id = a.lead_id ORDER BY a.created_at",
    )
    legs = customer_legs(lab, {str(a["attempt_id"]) for a in attempts})
    assert len(legs) == len(attempts) >= ATTEMPTS * len(CUSTOMERS)
    shown: dict[str, list[str]] = defaultdict(list)
    for attempt in attempts:
        leg = legs[str(attempt["attempt_id"])]
        assert leg["src"] == attempt["caller_id"], (leg, attempt)  # stored as presented
        assert leg["clid"] == f'"Lab Test" <{leg["src"]}>'
        shown[attempt["external_id"]].append(leg["src"])
    for lead, (_, same_operator) in CUSTOMERS.items():
        seen = shown[lead]
        assert len(seen) >= ATTEMPTS, (lead, seen)
        assert all(a != b for a, b in pairwise(seen)), (lead, seen)
        assert seen[0] == same_operator, (lead, seen)  # local presence: the operator first
        assert set(seen) <= {KYIVSTAR, VODAFONE, LIFECELL}, (lead, seen)  # never the retired
    listing = dialer.cli("caller-id", "list", dialer.campaign)
    assert [line.split()[1] for line in listing.splitlines()[1:]] == [
        "active", "active", "active", "retired"
    ]  # fmt: skip


CAPPED = (
    CAMPAIGN.split("caller_ids:", maxsplit=1)[0]
    + """\
caller_ids:
  numbers:
    - {{number: "+380671000001", per_day: 2}}
  defer_s: 600
lines: {{max_lines: 20, calls_per_second: 20}}
retry:
  busy: {{delay_s: {retry_s}, max_attempts: 4}}
lease_s: 30
"""
)


async def test_dials_wait_when_no_caller_id_is_left_and_say_why(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, retry_s=3, campaign_yaml=CAPPED)
    write_leads(tmp_path / "leads.csv")
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            await wait_until(lambda: deferred_in_log(dialer), timeout_s=60, interval_s=0.5)
            # the two dialled are busy, retried after 3 s, and then wait like the others
            await wait_until(lambda: all_waiting(database), timeout_s=60, interval_s=0.5)
            metrics = scrape(dialer.metrics_port)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = await query(database, "SELECT attempt_id, caller_id FROM call_attempts")
    assert [a["caller_id"] for a in attempts] == [KYIVSTAR, KYIVSTAR]  # the daily cap: 2
    assert len(customer_legs(lab, {str(a["attempt_id"]) for a in attempts})) == 2
    deferred = metrics[("dialerd_dials_deferred_total", frozenset({("campaign", "labtest")}))]
    assert deferred == len(CUSTOMERS)  # each phone put off once, for defer_s (600 s)


async def deferred_in_log(dialer: Dialer) -> bool | str:
    text = dialer.log_text()
    return True if '"dials_deferred"' in text and "daily cap" in text else "not deferred yet"


async def all_waiting(url: str) -> bool | str:
    """Every phone back in the schedule for defer_s: put off, not dropped."""
    rows = await query(
        url,
        "SELECT count(*) AS n FROM phone_schedule"
        " WHERE state = 'scheduled' AND next_dial_at > now() + interval '5 minutes'",
    )
    return True if rows[0]["n"] == len(CUSTOMERS) else f"{rows[0]['n']} waiting"
