"""Answering machine detection end to end: the daemon, the snippet's AMD() on the lab's real
voices, the queue. Persons are the lab's +3805000005xx numbers, machines +3805000006xx: the
number is the truth each attempt's record is checked against, with Asterisk's queue_log."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_campaign_lab import queue_outcomes, unfinished

PERSONS = [f"+380500000{n}" for n in range(500, 512)]
MACHINES = [f"+380500000{n}" for n in range(600, 612)]
AMD_CAMPAIGN = CAMPAIGN + (
    "amd:\n  enabled: true\n  machine: message\n  message: vm-goodbye\n  notsure: agent\n"
)
DROP_MS = 1000  # WaitForSilence's second of silence after the beep, before the message
WORLD = {
    "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "2", "LAB_TALK_MIN_S": "2", "LAB_TALK_MAX_S": "3",
    # the plain cases, which AMD gets right (bench/amd measures the hard ones): "Hello?"
    # and a long greeting, so that every call's path is known and the test cannot flake
    "LAB_PERSON_VOICE": "1", "LAB_MACHINE_VOICE": "1",
}  # fmt: skip


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def write_leads(path: Path) -> None:
    rows = [f"L{n},Lead {n},{number}" for n, number in enumerate(PERSONS + MACHINES)]
    path.write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")


async def test_machines_get_the_machine_action_and_persons_reach_an_agent(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, campaign_yaml=AMD_CAMPAIGN)
    write_leads(tmp_path / "leads.csv")
    assert "imported" in dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, extra_agents=6, **WORLD):
        dialer.start()
        try:
            await wait_until(lambda: unfinished(database), timeout_s=300, interval_s=3)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = [dict(r) for r in await query(database, "SELECT * FROM call_attempts")]
    assert sorted(a["number"] for a in attempts) == sorted(PERSONS + MACHINES)
    # every attempt records what AMD said, how long it took and what was done
    assert all(a["amd_status"] in ("HUMAN", "MACHINE", "NOTSURE") for a in attempts), attempts
    assert all(a["amd_cause"] and a["amd_ms"] > 0 and a["amd_action"] for a in attempts)
    queued = queue_outcomes(lab, {str(a["attempt_id"]) for a in attempts})
    machines = [a for a in attempts if a["number"] in MACHINES]
    persons = [a for a in attempts if a["number"] in PERSONS]
    detected = [a for a in machines if a["amd_status"] == "MACHINE"]
    assert detected == machines, machines
    billsec = {row["uniqueid"]: int(row["billsec"]) for row in lab.cdr_rows()}
    for a in detected:  # the campaign's machine action: a voicemail drop, no agent, no queue
        assert (a["outcome"], a["amd_action"], a["agent"]) == ("machine", "message", None), a
        assert str(a["attempt_id"]) not in queued, a
        # Asterisk's CDR: the call went on well past AMD's result (the rest of the greeting,
        # the beep, a second of silence, then the message), where a hang-up ends it there
        assert billsec[str(a["attempt_id"])] * 1000 >= a["amd_ms"] + DROP_MS, a
    humans = [a for a in persons if a["amd_status"] == "HUMAN"]
    assert humans == persons, persons
    for a in humans:  # queued, and with agents to spare each reached one
        assert (a["amd_action"], a["outcome"]) == ("agent", "connected"), a
        assert a["agent"], a
        assert queued.get(str(a["attempt_id"])) == "connected", a


def drop_cap_campaign() -> str:
    """Machines get a drop, at most one per lead a day; a machine is retried at once on the
    lead's next phone (then the first again), so the lead meets its cap within the test."""
    retry = "  machine: {{delay_s: 2, max_attempts: 2, next_phone: true}}\n  failed:"
    return AMD_CAMPAIGN.replace("  failed:", retry, 1) + "  messages_per_lead_per_day: 1\n"


async def test_a_lead_gets_one_voicemail_drop_a_day_and_then_hang_ups(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, campaign_yaml=drop_cap_campaign(), retry_s=2)
    rows = [f"L{n},Lead {n},{MACHINES[2 * n]}|{MACHINES[2 * n + 1]}" for n in range(3)]
    (tmp_path / "leads.csv").write_text("external_id,name,phones\n" + "\n".join(rows) + "\n")
    assert "imported" in dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **WORLD):
        dialer.start()
        try:
            await wait_until(lambda: unfinished(database), timeout_s=240, interval_s=3)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = await query(
        database, "SELECT lead_id, amd_action, outcome FROM call_attempts ORDER BY created_at"
    )
    by_lead: dict[int, list[str]] = {}
    for a in attempts:
        assert (a["outcome"], a["amd_action"] in ("message", "hangup")) == ("machine", True), a
        by_lead.setdefault(a["lead_id"], []).append(a["amd_action"])
    assert len(by_lead) == 3
    for actions in by_lead.values():  # the first call leaves the message, the rest hang up
        assert len(actions) >= 2, by_lead
        assert actions == ["message"] + ["hangup"] * (len(actions) - 1), by_lead
