"""Dispositions that act, while the daemon runs against the lab's Asterisk and PostgreSQL.

First a lead with two phones: the customer answers, a lab agent takes the call, and the
disposition comes as a CRM sends it, an AMI ``UserEvent``. ``wrong_number`` makes the lead's
second phone (which a connected call would leave on standby for ever) dialled next; on
that call an agent's own ``callback`` at a time a few seconds ahead makes the phone dialled
again once the time has come; a callback booked later and then a ``sale`` closes the lead.

Then two campaigns dialling the same number (every customer busy, redialled every few
seconds): a ``dnc`` disposition on one campaign's attempt stops both from dialling it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ami import AmiClient
from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab

_FRESH = random.Random().sample(range(1_000_000, 9_999_999), 4)
FIRST, SECOND, TARGET, OTHER = (f"+38050{n}" for n in _FRESH)
ANSWER_SHORT = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
                "LAB_TALK_MIN_S": "1", "LAB_TALK_MAX_S": "2"}  # fmt: skip
ALL_BUSY = {
    "LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0",
    "LAB_BUSY_MIN_S": "1", "LAB_BUSY_MAX_S": "2",
}  # fmt: skip
REDIAL_ALL = (
    CAMPAIGN.replace("max_attempts: 2}", "max_attempts: 50}")
    .replace("max_attempts_per_phone: 2", "max_attempts_per_phone: 50")
    .replace("max_attempts_per_lead: 3", "max_attempts_per_lead: 60")
)
ATTEMPTS = """
SELECT a.attempt_id, a.number, a.outcome, a.agent, a.created_at, a.ended_at, c.name AS campaign
FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id ORDER BY a.created_at
"""


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def ended_attempts(database: str, number: str, count: int) -> list[Any]:
    """Waits until `count` attempts on `number` have ended; returns them, oldest first."""

    async def ended() -> bool | str:
        rows = [r for r in await query(database, ATTEMPTS) if r["number"] == number]
        done = [r for r in rows if r["ended_at"] is not None]
        return True if len(done) >= count else f"{len(done)} ended attempts on {number}"

    await wait_until(ended, timeout_s=60, interval_s=0.5)
    rows = [r for r in await query(database, ATTEMPTS) if r["number"] == number]
    return [r for r in rows if r["ended_at"] is not None]


async def say(ami: AmiClient, attempt: uuid.UUID, code: str, **more: str) -> None:
    """The disposition as a CRM sends it: the AMI action UserEvent."""
    headers = {"UserEvent": "DialerdDisposition", "Attempt": str(attempt), "Disposition": code}
    (await ami.send_action("UserEvent", {**headers, **more})).raise_for_error()


async def recorded(database: str, count: int) -> None:
    async def enough() -> bool | str:
        rows = await query(database, "SELECT id FROM dispositions")
        return True if len(rows) >= count else f"{len(rows)} dispositions"

    await wait_until(enough, timeout_s=20, interval_s=0.3)


async def states(database: str) -> dict[str, str]:
    rows = await query(
        database,
        "SELECT p.number, s.state FROM phone_schedule s JOIN lead_phones p ON p.id = s.phone_id",
    )
    return {r["number"]: r["state"] for r in rows}


async def test_dispositions_sent_over_ami_change_the_leads_next_attempt(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phones\nL1,Olena,{FIRST}|{SECOND}\n")
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **ANSWER_SHORT) as ami:
        dialer.start()
        try:
            (first,) = await ended_attempts(database, FIRST, 1)
            assert (first["outcome"], first["agent"] is not None) == ("connected", True)
            await say(ami, first["attempt_id"], "wrong_number", Agent=first["agent"])
            (second,) = await ended_attempts(database, SECOND, 1)
            assert second["outcome"] == "connected"
            owner = second["agent"]
            at = datetime.now(UTC) + timedelta(seconds=4)
            await say(
                ami, second["attempt_id"], "callback", Agent=owner, Owner="agent",
                CallbackAt=at.isoformat(),
            )  # fmt: skip
            _, third = await ended_attempts(database, SECOND, 2)
            later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            await say(ami, third["attempt_id"], "callback", Agent=owner, CallbackAt=later)
            await say(ami, third["attempt_id"], "sale", Agent=owner)
            await recorded(database, 4)
        finally:
            assert dialer.stop() == 0
    assert third["created_at"] >= at  # dialled again for the callback, not before its time
    assert third["agent"] == owner  # to the agent who owns it, not whoever the queue picks
    rows = await query(
        database, "SELECT attempt_id, disposition, callback_at FROM dispositions ORDER BY id"
    )
    assert [(r["attempt_id"], r["disposition"]) for r in rows] == [
        (first["attempt_id"], "wrong_number"),
        (second["attempt_id"], "callback"),
        (third["attempt_id"], "callback"),
        (third["attempt_id"], "sale"),
    ]
    assert rows[1]["callback_at"] == at
    requests = await query(
        database,
        "SELECT source, agent, attempt_id, outcome, met FROM callback_requests ORDER BY id",
    )
    assert [tuple(r) for r in requests] == [
        ("disposition", owner, third["attempt_id"], "connected", True),
        ("disposition", None, None, "closed", False),  # the sale closed the lead
    ]
    attempts = await query(database, ATTEMPTS)
    assert [r["number"] for r in attempts] == [FIRST, SECOND, SECOND]
    assert await states(database) == {FIRST: "blocked", SECOND: "done"}
    assert "disposition_recorded" in dialer.log_text()


async def test_a_dnc_disposition_stops_every_campaign_dialling_the_number(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(
        lab,
        database,
        tmp_path,
        retry_s=3,
        campaign_yaml=REDIAL_ALL,
        more_campaigns={"labtwo": REDIAL_ALL},
    )
    (tmp_path / "a.csv").write_text(f"external_id,name,phones\nA1,Target,{TARGET}\n")
    (tmp_path / "b.csv").write_text(
        f"external_id,name,phones\nB1,Target,{TARGET}\nB2,Other,{OTHER}\n"
    )
    dialer.import_csv(tmp_path / "a.csv")
    dialer.cli("leads", "import", "labtwo", str(tmp_path / "b.csv"))
    async with lab_world(lab, **ALL_BUSY) as ami:
        dialer.start()
        try:
            dialled = await ended_attempts(database, TARGET, 4)  # both campaigns redial it
            attempt = next(r for r in dialled if r["campaign"] == "labtest")
            await say(ami, attempt["attempt_id"], "dnc", Agent="agent01")
            await wait_until(lambda: blocked_in(database, 2), timeout_s=30, interval_s=0.5)
            await ended_attempts(database, OTHER, 4)  # labtwo goes on dialling the others
        finally:
            assert dialer.stop() == 0
    blocks = await query(
        database,
        "SELECT c.name, b.blocked_at, b.reason FROM blocked_dials b"
        " JOIN campaigns c ON c.id = b.campaign_id WHERE b.number = $1",
        TARGET,
    )
    assert sorted(b["name"] for b in blocks) == ["labtest", "labtwo"]
    assert all("dnc disposition by agent01" in b["reason"] for b in blocks), blocks
    attempts = await query(database, ATTEMPTS)
    for block in blocks:
        after = [
            r
            for r in attempts
            if r["number"] == TARGET
            and r["campaign"] == block["name"]
            and r["created_at"] > block["blocked_at"]
        ]
        assert after == [], f"{block['name']} dialled {TARGET} after it was blocked"
    target_states = await query(
        database,
        "SELECT s.state FROM phone_schedule s JOIN lead_phones p ON p.id = s.phone_id"
        " WHERE p.number = $1",
        TARGET,
    )
    assert [r["state"] for r in target_states] == ["blocked", "blocked"]
    entries = await query(database, "SELECT campaign_id FROM do_not_call WHERE number = $1", TARGET)
    assert [e["campaign_id"] for e in entries] == [None]  # the global list, once


async def blocked_in(database: str, campaigns: int) -> bool | str:
    rows = await query(
        database, "SELECT DISTINCT campaign_id FROM blocked_dials WHERE number = $1", TARGET
    )
    return True if len(rows) >= campaigns else f"blocked in {len(rows)} campaigns"
