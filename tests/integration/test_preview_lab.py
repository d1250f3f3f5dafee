"""Preview mode's agent side, with the real daemon, the lab's Asterisk and PostgreSQL.

An agent asks for the next lead (``POST /preview/next``), sees who it is, dials
(``POST /preview/dial``): that agent, not whoever the queue would pick, takes the call (as
Asterisk's CDR shows), and a disposition sent for that attempt is recorded and acts. Another
asks and skips: the lead goes back, and the next agent who asks gets it; a reservation nobody
dials is given back after ``preview.reserve_s``. Meanwhile nobody else gets a reserved lead,
and the campaign places no call of its own.
"""

from __future__ import annotations

import random
import urllib.error
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
    wait_until,
)
from tests.integration.lab import Lab

NUMBER = f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"
ANSWER_SHORT = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
                "LAB_TALK_MIN_S": "1", "LAB_TALK_MAX_S": "2"}  # fmt: skip
RESERVE_S = 5
PREVIEW = CAMPAIGN.replace("mode: progressive", "mode: preview") + (
    f"preview:\n  reserve_s: {RESERVE_S}\n"
)


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def started(lab: Lab, database: str, tmp_path: Path) -> Dialer:
    dialer = Dialer(lab, database, tmp_path, campaign_yaml=PREVIEW)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone,plan\nCRM-1,Olena,{NUMBER},gold\n")
    dialer.import_csv(tmp_path / "leads.csv")
    dialer.start()
    return dialer


async def ask(dialer: Dialer, agent: str) -> tuple[int, dict[str, Any]]:
    """The first ask waits for the daemon to be up and the campaign running."""
    answer: tuple[int, dict[str, Any]] = (0, {})

    async def answered() -> bool | str:
        nonlocal answer
        try:
            answer = post_json(dialer.metrics_port, "/preview/next", {"campaign": "labtest",
                                                                       "agent": agent})  # fmt: skip
        except urllib.error.URLError as exc:
            return f"daemon not answering: {exc}"
        running = "not running" not in str(answer[1].get("error", ""))
        return True if running else str(answer)

    await wait_until(answered, timeout_s=30, interval_s=0.5)
    return answer


AGENT, OTHER = "agent07", "agent02"  # not the queue's first pick (rrmemory starts at agent01)


async def cdr_of(lab: Lab, attempt: str) -> bool | str:
    rows = [r for r in lab.cdr_rows() if r["uniqueid"] == attempt]
    return True if rows else f"no CDR row for {attempt} yet"


async def phone_state(database: str) -> str:
    (row,) = await query(database, "SELECT state FROM phone_schedule")
    state: str = row["state"]
    return state


async def test_ask_see_dial_then_the_disposition_acts(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    async with lab_world(lab, **ANSWER_SHORT):
        dialer = started(lab, database, tmp_path)
        try:
            status, held = await ask(dialer, AGENT)
            assert status == 201, held
            assert await query(database, "SELECT attempt_id FROM call_attempts") == []
            assert await phone_state(database) == "leased"
            other = await ask(dialer, OTHER)
            again = await ask(dialer, AGENT)
            body = {"reservation_id": held["reservation_id"], "agent": AGENT}
            stolen = post_json(dialer.metrics_port, "/preview/dial", {**body, "agent": OTHER})
            dialled = post_json(dialer.metrics_port, "/preview/dial", body)
            assert dialled[0] == 201, dialled
            attempt = dialled[1]["attempt_id"]

            async def ended() -> bool | str:
                rows = await query(database, "SELECT outcome FROM call_attempts")
                outcome = rows[0]["outcome"] if rows else None
                return True if outcome is not None else f"outcome {outcome}"

            await wait_until(ended, timeout_s=40, interval_s=0.5)
            await wait_until(lambda: cdr_of(lab, attempt), timeout_s=10, interval_s=0.5)
            sale = {"attempt_id": attempt, "disposition": "sale", "agent": AGENT}
            disposed = post_json(dialer.metrics_port, "/dispositions", sale)
        finally:
            assert dialer.stop() == 0
    assert (held["lead"]["name"], held["lead"]["external_id"], held["number"]) == (
        "Olena",
        "CRM-1",
        NUMBER,
    )
    assert held["lead"]["fields"] == {"plan": "gold"}
    assert other[0] == 404, other  # the only lead is held for agent01
    assert again == (200, held)  # asking twice gives the same lead
    assert stolen[0] == 409, stolen
    assert (disposed[0], disposed[1]["act"]) == (201, "close"), disposed
    attempts = await query(
        database, "SELECT attempt_id, number, outcome, agent, talk_s FROM call_attempts"
    )
    assert [(str(r["attempt_id"]), r["number"], r["outcome"], r["agent"]) for r in attempts] == [
        (attempt, NUMBER, "connected", AGENT)
    ]
    assert attempts[0]["talk_s"] >= 1
    (row,) = [r for r in lab.cdr_rows() if r["uniqueid"] == attempt]
    assert row["dstchannel"].startswith(f"Local/{AGENT}@lab-agents-"), row  # the one who dialled
    rows = await query(database, "SELECT attempt_id, disposition FROM dispositions")
    assert [(str(r["attempt_id"]), r["disposition"]) for r in rows] == [(attempt, "sale")]
    assert await phone_state(database) == "done"


async def test_a_skipped_or_expired_lead_goes_back(lab: Lab, database: str, tmp_path: Path) -> None:
    dialer = started(lab, database, tmp_path)
    try:
        first = await ask(dialer, "agent01")
        body = {"reservation_id": first[1]["reservation_id"], "agent": "agent01"}
        skipped = post_json(dialer.metrics_port, "/preview/skip", body)
        after_skip = await phone_state(database)
        second = await ask(dialer, "agent02")

        async def given_back() -> bool | str:
            state = await phone_state(database)
            return True if state == "scheduled" else state

        await wait_until(given_back, timeout_s=4 * RESERVE_S, interval_s=0.5)
        late = {"reservation_id": second[1]["reservation_id"], "agent": "agent02"}
        too_late = post_json(dialer.metrics_port, "/preview/dial", late)
        third = await ask(dialer, "agent03")
    finally:
        assert dialer.stop() == 0
    assert first[0] == 201, first
    assert skipped == (200, {"reservation_id": body["reservation_id"], "released": True})
    assert after_skip == "scheduled"
    assert second[0] == 201, second
    assert second[1]["lead"]["id"] == first[1]["lead"]["id"]  # the skipped lead came back
    assert too_late[0] == 404, too_late  # agent02's reservation ran out
    assert third[0] == 201, third
    assert third[1]["lead"]["id"] == first[1]["lead"]["id"]
    assert await query(database, "SELECT attempt_id FROM call_attempts") == []
    assert "preview_reservation_expired" in dialer.log_text()
