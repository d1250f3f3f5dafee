"""Why not dialling: each reason provoked in one real daemon, and /status names it.

Nine campaigns run side by side in a world where nobody answers, each kept from dialling in
its own way: a queue without agents, a calling window closed today, an abandon budget spent
(abandoned attempts loaded into the window before the start), a caller-ID pool whose only
number is retired, every number on the do-not-call list, every phone done, every phone due
in an hour, one line busy with a call that rings on. Then the daemon's AMI connection is
cut (it goes through a proxy the test closes): every campaign says the AMI is down and
/readyz answers 503 while /healthz stays 200, until the connection is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dialerd.window_settings import DAYS
from tests.integration.amiproxy import AmiProxy
from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab

NOBODY_ANSWERS = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "0", "LAB_CONGESTION_PCT": "0"}
CLOSED_DAY = DAYS[(datetime.now(UTC).weekday() + 3) % 7]  # not today anywhere on earth
POOL_NUMBER = "+380671000001"
ABANDONED, CONNECTED = 20, 10  # in the window: 66.7 % abandoned, far over the 3 % target

ON_SECOND_QUEUE = CAMPAIGN.replace("queue: {queue}", "queue: {second_queue}")
CLOSED_TODAY = CAMPAIGN + (
    f'calling_window:\n  hours: {{{{{CLOSED_DAY}: "00:00-24:00"}}}}\n'
    "  fallback_time_zone: Europe/Kyiv\n"
)
PREDICTIVE = CAMPAIGN.replace("mode: progressive", "mode: predictive").replace(
    "max_lines: 40", "max_lines: 80"
)
RETIRED_POOL = CAMPAIGN.replace('  caller_id: "+442079460000"\n', "") + (
    f'caller_ids:\n  numbers:\n    - {{{{number: "{POOL_NUMBER}"}}}}\n'
)
ONE_LINE = CAMPAIGN.replace("max_lines: 40", "max_lines: 1")
EXPECTED = {
    "noagents": "no_agents",
    "closed": "outside_calling_window",
    "budget": "abandon_budget_spent",
    "nocid": "no_caller_id",
    "dnc": "all_due_on_dnc",
    "done": "list_exhausted",
    "later": "nothing_due_now",
    "capped": "lines_at_cap",
}
FILES = {
    "closed": CLOSED_TODAY,
    "budget": PREDICTIVE,
    "nocid": RETIRED_POOL,
    "dnc": CAMPAIGN,
    "done": CAMPAIGN,
    "later": CAMPAIGN,
    "capped": ONE_LINE,
}
LEADS = {"noagents": 3, "closed": 3, "budget": 60, "nocid": 3, "dnc": 3, "done": 2}
LEADS |= {"later": 2, "capped": 4}


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of a daemon page; blocking: call it in a thread."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except urllib.error.URLError as error:  # not listening (yet, or any more)
        return 0, {"error": str(error), "campaigns": []}


async def page(dialer: Dialer, path: str) -> tuple[int, dict[str, Any]]:
    return await asyncio.to_thread(get, dialer.metrics_port, path)


def codes_by_campaign(status: dict[str, Any]) -> dict[str, list[str]]:
    return {c["name"]: [r["code"] for r in c["reasons"]] for c in status["campaigns"]}


async def every_reason_shown(dialer: Dialer) -> bool | str:
    _, status = await page(dialer, "/status")
    codes = codes_by_campaign(status)
    if not codes:
        return f"no campaigns in {status}"
    missing = {n: codes.get(n) for n, code in EXPECTED.items() if code not in codes.get(n, [])}
    return True if not missing else f"not shown yet: {missing}"


async def all_ami_down(dialer: Dialer) -> bool | str:
    _, status = await page(dialer, "/status")
    codes = codes_by_campaign(status)
    ready, _ = await page(dialer, "/readyz")
    down = bool(codes) and all(c == ["ami_down"] for c in codes.values()) and ready == 503
    return True if down else f"readyz {ready}, {codes}"


async def ready_again(dialer: Dialer) -> bool | str:
    ready, document = await page(dialer, "/readyz")
    return True if ready == 200 else f"readyz {ready}: {document}"


async def prepare(dialer: Dialer, database: str, tmp_path: Path) -> None:
    """Leads for every campaign, then the database and the pool set up for each reason."""
    prefix = random.Random().randrange(1_000_000, 9_000_000)  # fresh numbers each run
    numbers: dict[str, list[str]] = {}
    for n, (name, count) in enumerate(LEADS.items()):
        numbers[name] = [f"+38050{prefix + 100 * n + i}" for i in range(count)]
        rows = [f"{name}-{i},Lead {i},{number}" for i, number in enumerate(numbers[name])]
        (tmp_path / f"{name}.csv").write_text("external_id,name,phones\n" + "\n".join(rows))
        dialer.cli("leads", "import", name, str(tmp_path / f"{name}.csv"))
    dialer.cli("dnc", "add", *numbers["dnc"], "--reason", "asked not to be called")
    dialer.cli("caller-id", "retire", "nocid", POOL_NUMBER, "--reason", "flagged as spam")
    await set_phones(database, "done", "state = 'done', next_dial_at = NULL")
    await set_phones(database, "later", "next_dial_at = now() + interval '1 hour'")
    await load_abandons(database, "budget")


async def set_phones(database: str, campaign: str, change: str) -> None:
    await query(
        database,
        f"UPDATE phone_schedule SET {change}"  # noqa: S608 - the test's own constants
        " WHERE campaign_id = (SELECT id FROM campaigns WHERE name = $1)",
        campaign,
    )


async def load_abandons(database: str, campaign: str) -> None:
    """Answered calls of an earlier shift in the compliance window, most of them abandoned."""
    outcomes = ["abandoned"] * ABANDONED + ["connected"] * CONNECTED
    await query(
        database,
        "INSERT INTO call_attempts (attempt_id, campaign_id, lead_id, phone_id, number,"
        " attempt_number, node, created_at, ended_at, outcome)"
        " SELECT gen_random_uuid(), s.campaign_id, s.lead_id, s.phone_id, p.number, 1, 'old',"
        "        now() - interval '2 hours', now() - interval '2 hours', o"
        " FROM phone_schedule s JOIN lead_phones p ON p.id = s.phone_id"
        " JOIN campaigns c ON c.id = s.campaign_id,"
        " unnest($2::text[]) AS o"
        " WHERE c.name = $1 AND s.phone_id = (SELECT min(phone_id) FROM phone_schedule"
        "   WHERE campaign_id = c.id)",
        campaign,
        outcomes,
    )


async def stop_quickly(dialer: Dialer, ami: Any) -> int:
    """SIGTERM, then hang up the calls still ringing so the drain need not wait for them."""
    assert dialer.process is not None
    dialer.process.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.5)
    with contextlib.suppress(Exception):
        await ami.send_action("Hangup", {"Channel": "/^Local\\/.*@lab-customers/"})
    return await asyncio.to_thread(dialer.stop)


async def test_status_names_why_each_campaign_is_not_dialling(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    proxy = AmiProxy(lab.ami_host, lab.ami_port)
    await proxy.open()
    files = {name: FILES[name] for name in EXPECTED if name != "noagents"}
    dialer = Dialer(
        replace(lab, ami_port=proxy.port),
        database,
        tmp_path,
        campaign="noagents",
        campaign_yaml=ON_SECOND_QUEUE,
        more_campaigns=files,
    )
    await prepare(dialer, database, tmp_path)
    async with lab_world(lab, **NOBODY_ANSWERS) as ami:
        dialer.start()
        try:
            await wait_until(lambda: every_reason_shown(dialer), timeout_s=45, interval_s=0.5)
            _, status = await page(dialer, "/status")
            table = await asyncio.to_thread(dialer.run_cli, "status")
            health, ready = await page(dialer, "/healthz"), await page(dialer, "/readyz")
            await proxy.cut()
            await wait_until(lambda: all_ami_down(dialer), timeout_s=20, interval_s=0.5)
            health_down, ready_down = await page(dialer, "/healthz"), await page(dialer, "/readyz")
            await proxy.open()
            await wait_until(lambda: ready_again(dialer), timeout_s=30, interval_s=0.5)
        finally:
            code = await stop_quickly(dialer, ami)
    assert code == 0, dialer.log_text()[-3000:]

    campaigns = {c["name"]: c for c in status["campaigns"]}
    assert set(campaigns) == set(EXPECTED)
    codes = codes_by_campaign(status)
    assert "all_due_on_dnc" not in codes["done"], codes  # exhausted, and nothing was blocked
    assert "list_exhausted" in codes["dnc"], codes  # every number blocked: nothing left
    assert "list_exhausted" not in codes["later"], codes
    assert campaigns["noagents"]["agents"]["ready"] == 0
    assert campaigns["closed"]["agents"]["ready"] == lab.agents
    assert campaigns["capped"]["lines"] == {"in_use": 1, "max": 1}
    assert campaigns["capped"]["state"] == "dialing"
    assert campaigns["noagents"]["state"] == "not_dialing"
    budget = campaigns["budget"]["abandon"]
    assert (budget["abandoned"], budget["connected"]) == (ABANDONED, CONNECTED)
    assert budget["budget_calls"] < 0
    assert campaigns["done"]["leads"]["exhausted"] is True

    assert table.returncode == 0, table.stderr
    for name, reason in EXPECTED.items():
        assert f"\n{name} " in table.stdout, table.stdout
        assert f"    {reason}: " in table.stdout, table.stdout
    assert health[0] == 200, health
    assert ready[0] == 200, ready
    assert health_down[0] == 200, health_down  # alive: only a dependency is down
    assert ready_down[0] == 503, ready_down
    assert ready_down[1]["checks"]["ami"]["ok"] is False, ready_down
    assert ready_down[1]["checks"]["database"]["ok"] is True

    gone = await asyncio.to_thread(dialer.run_cli, "status")
    assert gone.returncode == 4, gone
    assert "does not answer" in gone.stderr
