"""Redis (the caller-ID store several nodes share) goes away mid-campaign, then comes back
empty (the lab's Redis keeps nothing on disk, like many caches).

While it is down the daemon decides each batch from PostgreSQL's attempt rows (what each
customer saw last, how often each number was used) and dials on; when it is back, empty,
the daemon rebuilds it from PostgreSQL before using it. Throughout, no customer sees the
same caller ID twice in a row and the capped number is used no more than its daily cap,
as Asterisk's own CDR of the customer's leg shows. The attempt caps (dialerd.limits)
count PostgreSQL's rows and never depended on Redis.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.fault_checks import log_events
from tests.integration.lab import Lab
from tests.integration.test_caller_id_lab import (
    ALL_BUSY,
    CUSTOMERS,
    KYIVSTAR,
    LIFECELL,
    VODAFONE,
    customer_legs,
    write_leads,
)

ATTEMPTS = 4
CAP = 5  # KYIVSTAR's per_day
CAMPAIGN = f"""\
name: {{name}}
queue: {{queue}}
region: UA
dial:
  trunk: "Local/{{{{number}}}}@{{context}}"
  ring_timeout_s: 15
  caller_name: "Lab Test"
caller_ids:
  numbers:
    - {{{{number: "{KYIVSTAR}", per_day: {CAP}, per_minute: 60}}}}
    - {{{{number: "{VODAFONE}", per_minute: 60}}}}
    - {{{{number: "{LIFECELL}", per_minute: 60}}}}
  defer_s: 2
lines: {{{{max_lines: 20, calls_per_second: 20}}}}
retry:
  busy: {{{{delay_s: {{retry_s}}, max_attempts: {ATTEMPTS}}}}}
  max_attempts_per_phone: {ATTEMPTS}
  max_attempts_per_lead: {ATTEMPTS}
lease_s: 30
"""


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def attempts_between(url: str, since: datetime, at_least: int) -> bool | str:
    rows = await query(url, "SELECT count(*) AS n FROM call_attempts WHERE created_at > $1", since)
    return True if rows[0]["n"] >= at_least else f"{rows[0]['n']} attempts since {since}"


async def all_done(url: str) -> bool | str:
    rows = await query(
        url, "SELECT count(*) AS n FROM phone_schedule WHERE state NOT IN ('done', 'exhausted')"
    )
    return True if rows[0]["n"] == 0 else f"{rows[0]['n']} phones to go"


@pytest.mark.alone  # every other lab test shares this Redis
async def test_redis_down_mid_campaign_keeps_caller_id_rules_and_caps(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    await lab.service("stop-redis")  # a clean, empty Redis: nothing from earlier tests
    await lab.service("start-redis")
    dialer = Dialer(
        lab,
        database,
        tmp_path,
        retry_s=3,
        campaign_yaml=CAMPAIGN,
        extra_config=f"redis:\n  url: {lab.redis_url}\n",
    )
    write_leads(tmp_path / "leads.csv")
    dialer.import_csv(tmp_path / "leads.csv")
    started = datetime.now(UTC)
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            await wait_until(lambda: attempts_between(database, started, len(CUSTOMERS)), 60, 0.5)
            await lab.service("stop-redis")
            down_at = datetime.now(UTC)
            await wait_until(lambda: attempts_between(database, down_at, len(CUSTOMERS)), 60, 0.5)
        finally:
            await lab.service("start-redis")
        up_at = datetime.now(UTC)
        try:
            await wait_until(lambda: all_done(database), 90, 1)
        finally:
            code = await asyncio.to_thread(dialer.stop)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = await query(
        database,
        "SELECT a.attempt_id, a.caller_id, a.created_at, l.external_id FROM call_attempts a"
        " JOIN leads l ON l.id = a.lead_id ORDER BY a.created_at",
    )
    legs = customer_legs(lab, {str(a["attempt_id"]) for a in attempts})
    assert len(legs) == len(attempts) == ATTEMPTS * len(CUSTOMERS)
    shown: dict[str, list[str]] = defaultdict(list)
    for attempt in attempts:
        leg = legs[str(attempt["attempt_id"])]
        assert leg["src"] == attempt["caller_id"], (leg, attempt)
        shown[attempt["external_id"]].append(leg["src"])
    repeats = {lead: seen for lead, seen in shown.items() if any(a == b for a, b in pairwise(seen))}
    assert repeats == {}, "a customer saw the same caller ID twice in a row"
    uses = Counter(leg["src"] for leg in legs.values())
    assert uses[KYIVSTAR] <= CAP, uses
    assert uses[KYIVSTAR] == CAP, f"the cap must be reached to be tested: {uses}"
    during = [a for a in attempts if down_at < a["created_at"] < up_at]
    after = [a for a in attempts if a["created_at"] > up_at]
    assert during, "dialing went on from PostgreSQL while Redis was down"
    assert after, "and on with Redis once it was back"
    log = dialer.log_text()
    assert log_events(log, "caller_id_store_unavailable"), "the fallback was announced"
    rebuilt = log_events(log, "caller_id_store_rebuilt")
    assert len(rebuilt) >= 2, "rebuilt at the start and again when Redis came back empty"
    assert rebuilt[-1]["presentations"] > len(CUSTOMERS), rebuilt
