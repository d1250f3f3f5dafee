"""Customers calling a caller-ID pool number back, in the lab (docs/callbacks.md).

The daemon dials a customer from pool number X; the customer then calls X back: an
Originate into ``lab-callback`` (the lab's trunk into the snippet's ``dialerd-inbound``) with
X as the number dialled and the customer's number as caller ID. The call must reach the
campaign's queue with the lead's data on the agent's channel, the agent must count as busy
for pacing meanwhile, and the call must be recorded. A caller who presses the opt-out key at
the message is on the global do-not-call list at once, and no campaign dials them again; one
who presses the callback key has their phone made due in the campaign that called them.
"""

from __future__ import annotations

import asyncio
import json
import random
import urllib.request
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ami import AmiClient, Event, EventStream
from dialerd.inbound import chosen_time
from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab

POOL_X = "+442079460011"
KYIV = ZoneInfo("Europe/Kyiv")  # the customers' numbers are Ukrainian
AGENT = "agent95"
AGENT_INTERFACE = f"Local/{AGENT}@lab-agents/n"
ANSWER_SHORT = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
                "LAB_TALK_MIN_S": "3", "LAB_TALK_MAX_S": "3"}  # fmt: skip

CAMPAIGN = """\
name: {name}
queue: {second_queue}
wrapup_s: 1
region: UA
dial:
  trunk: "Local/{{number}}@{context}"
  ring_timeout_s: 15
caller_ids:
  numbers:
    - {{number: "+442079460011"}}
callbacks:
  business_name: "Lab Energy"
lines: {{max_lines: 5, calls_per_second: 5}}
lease_s: 30
"""


def fresh_number() -> str:
    return f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"  # CDR keeps old runs


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def next_event(
    stream: EventStream, wanted: Callable[[Event], bool], timeout_s: float
) -> Event:
    async with asyncio.timeout(timeout_s):
        async for item in stream:
            if isinstance(item, Event) and wanted(item):
                return item
    raise AssertionError("the event stream ended")


async def call_back(ami: AmiClient, customer: str, pool_number: str) -> None:
    """The customer rings the pool number; their side of the call just listens."""
    headers = {
        "Channel": f"Local/{pool_number}@lab-callback",
        "CallerID": f'"Customer" <{customer}>',
        "Application": "Wait",
        "Data": "30",
        "Async": "true",
    }
    (await ami.send_action("Originate", headers)).raise_for_error()


async def getvar(ami: AmiClient, channel: str, name: str) -> str:
    response = await ami.send_action("Getvar", {"Channel": channel, "Variable": name})
    response.raise_for_error()
    return response.get("Value") or ""


async def agents(dialer: Dialer) -> dict[str, int]:
    def read() -> dict[str, Any]:
        url = f"http://127.0.0.1:{dialer.metrics_port}/status"
        with urllib.request.urlopen(url, timeout=5) as response:
            document: dict[str, Any] = json.load(response)
            return document

    status = await asyncio.to_thread(read)
    (campaign,) = status["campaigns"]
    counts: dict[str, int] = campaign["agents"]
    return counts


async def queue_member(ami: AmiClient, lab: Lab, add: bool) -> None:
    action = "QueueAdd" if add else "QueueRemove"
    headers = {"Queue": lab.second_queue, "Interface": AGENT_INTERFACE}
    if add:
        headers["MemberName"] = AGENT
    await ami.send_action(action, headers)


async def test_a_customer_calling_back_reaches_the_campaign_queue_with_the_lead(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    number = fresh_number()
    dialer = Dialer(lab, database, tmp_path, campaign_yaml=CAMPAIGN)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nL1,Olena Kovalenko,{number}\n")
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **ANSWER_SHORT) as ami:
        await queue_member(ami, lab, add=True)
        dialer.start()
        try:
            attempt = await dialled_and_done(database)
            async with ami.events() as stream:
                await call_back(ami, number, POOL_X)
                joined = await next_event(stream, lambda e: e.name == "QueueCallerJoin", 15)
                connect = await next_event(stream, lambda e: e.name == "AgentConnect", 15)
                agent_channel = connect.get("DestChannel") or ""
                screen = {
                    name: await getvar(ami, agent_channel, name)
                    for name in ("DIALERD_LEAD_ID", "DIALERD_LEAD_NAME", "DIALERD_CAMPAIGN",
                                 "DIALERD_ATTEMPT", "DIALERD_BUSINESS")
                }  # fmt: skip
                await wait_until(lambda: busy_on_the_callback(dialer), timeout_s=5, interval_s=0.2)
            await wait_until(lambda: callback_ended(database), timeout_s=15, interval_s=0.5)
        finally:
            await queue_member(ami, lab, add=False)
            assert dialer.stop() == 0
    (lead,) = await query(database, "SELECT id FROM leads")
    assert joined.get("Queue") == lab.second_queue
    assert screen == {
        "DIALERD_LEAD_ID": str(lead["id"]),
        "DIALERD_LEAD_NAME": "Olena Kovalenko",
        "DIALERD_CAMPAIGN": "labtest",
        "DIALERD_ATTEMPT": str(attempt),
        "DIALERD_BUSINESS": "Lab Energy",
    }
    (row,) = await query(
        database,
        "SELECT lead_id, called, caller, attempt_id, route, queue, outcome, agent, ended_at"
        " FROM inbound_calls",
    )
    assert row["ended_at"] is not None
    assert dict(row) | {"ended_at": None} == {
        "lead_id": lead["id"], "called": POOL_X, "caller": number, "attempt_id": attempt,
        "route": "queue", "queue": lab.second_queue, "outcome": "answered", "agent": AGENT,
        "ended_at": None,
    }  # fmt: skip


async def dialled_and_done(database: str) -> Any:
    async def done() -> bool | str:
        rows = await query(database, "SELECT outcome FROM call_attempts WHERE ended_at IS NOT NULL")
        return True if rows else "the customer's call has not ended yet"

    await wait_until(done, timeout_s=30, interval_s=0.5)
    (row,) = await query(database, "SELECT attempt_id, caller_id, outcome FROM call_attempts")
    assert (row["caller_id"], row["outcome"]) == (POOL_X, "connected")
    return row["attempt_id"]


async def busy_on_the_callback(dialer: Dialer) -> bool | str:
    counts = await agents(dialer)
    return True if counts["busy"] == 1 and counts["ready"] == 0 else f"agents: {counts}"


async def callback_ended(database: str) -> bool | str:
    rows = await query(database, "SELECT outcome, ended_at FROM inbound_calls")
    return True if rows and rows[0]["ended_at"] is not None else f"inbound calls: {rows}"


async def test_the_message_keys_book_a_callback_and_opt_out_for_every_campaign(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    number = fresh_number()
    rival = CAMPAIGN.replace('business_name: "Lab Energy"', 'business_name: "Rival"')
    dialer = Dialer(
        lab,
        database,
        tmp_path,
        campaign_yaml=CAMPAIGN,
        more_campaigns={"rival": rival},
        extra_config="inbound:\n  callback_time_sound: beep\n",
    )
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nL1,Olena,{number}\n")
    # three hours ahead on the customer's (Kyiv) clock: never today's past, never ambiguous
    hhmm = (datetime.now(KYIV) + timedelta(hours=3)).strftime("%H%M")
    dialer.import_csv(tmp_path / "leads.csv")
    dialer.cli("leads", "import", "rival", str(tmp_path / "leads.csv"))  # the newest lead
    async with lab_world(lab, **ANSWER_SHORT) as ami:
        dialer.start()  # no agent in the queue yet: nobody is dialled, the caller gets the message
        try:
            await wait_until(lambda: started(dialer), timeout_s=20, interval_s=0.3)
            async with ami.events() as stream:
                await press(ami, stream, number, "1", then=hhmm)  # a time of their choosing
                keyed_at = datetime.now(UTC)
                await wait_until(lambda: ended(database, 1), timeout_s=10, interval_s=0.3)
                chosen = await query(database, SCHEDULE)
                booked = await press(ami, stream, number, "1")  # no time: as soon as can be
                await wait_until(lambda: ended(database, 2), timeout_s=15, interval_s=0.3)
                schedule = await query(database, SCHEDULE)
                confirmed = await press(ami, stream, number, "9")
            await queue_member(ami, lab, add=True)  # now both campaigns could dial the number
            await wait_until(lambda: blocked_everywhere(database), timeout_s=20, interval_s=0.5)
        finally:
            await queue_member(ami, lab, add=False)
            assert dialer.stop() == 0
    assert (booked.get("AppData"), confirmed.get("AppData")) == ("auth-thankyou", "removed")
    entries = await query(database, "SELECT campaign_id, number FROM do_not_call")
    assert [tuple(e) for e in entries] == [(None, number)]
    rows = await query(database, "SELECT reason, outcome, caller FROM inbound_calls ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("no agent logged in", "callback_requested", number),
        ("no agent logged in", "callback_requested", number),
        ("no agent logged in", "opted_out", number),
    ]
    # the newest lead's campaign books the callback: due from the moment it is asked for
    assert [tuple(r)[:3] for r in schedule] == [
        ("labtest", "scheduled", False),
        ("rival", "scheduled", True),
    ]
    assert schedule[1]["next_dial_at"] < keyed_at + timedelta(minutes=1)  # due at once
    # the first request was booked for the time the caller keyed, on their own clock
    assert chosen[1]["next_dial_at"] == chosen_time(hhmm, KYIV, keyed_at - timedelta(minutes=1))
    assert await query(database, "SELECT 1 FROM call_attempts") == []


SCHEDULE = """
SELECT c.name, s.state, s.next_dial_at >= (SELECT min(started_at) FROM inbound_calls) AS booked,
       s.next_dial_at
FROM phone_schedule s JOIN campaigns c ON c.id = s.campaign_id ORDER BY c.name
"""


async def press(
    ami: AmiClient, stream: EventStream, number: str, key: str, then: str = ""
) -> Event:
    """Call the pool number back, press `key` at the message, and key `then` at the next
    prompt if given (the callback time); the sound played in answer."""
    await call_back(ami, number, POOL_X)
    reading = await next_event(stream, lambda e: _app(e) == "Read", 15)
    customer = (reading.get("Channel") or "").replace(";2", ";1")
    await ami.send_action("PlayDTMF", {"Channel": customer, "Digit": key})
    if then:
        await next_event(stream, lambda e: _app(e) == "Read", 15)
        for digit in then:
            await ami.send_action("PlayDTMF", {"Channel": customer, "Digit": digit})
            await asyncio.sleep(0.3)
    return await next_event(stream, lambda e: _app(e) == "Playback", 15)


async def ended(database: str, count: int) -> bool | str:
    rows = await query(database, "SELECT id FROM inbound_calls WHERE ended_at IS NOT NULL")
    return True if len(rows) >= count else f"{len(rows)} inbound calls ended"


def _app(event: Event) -> str | None:
    return event.get("Application") if event.name == "Newexten" else None


async def started(dialer: Dialer) -> bool | str:
    return True if "daemon_started" in dialer.log_text() else "the daemon has not started"


async def blocked_everywhere(database: str) -> bool | str:
    rows = await query(database, "SELECT DISTINCT campaign_id FROM blocked_dials")
    return True if len(rows) == 2 else f"blocked in {len(rows)} campaigns"
