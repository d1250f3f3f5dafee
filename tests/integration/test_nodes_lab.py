"""Two nodes, each with its own Asterisk, sharing PostgreSQL and Redis, run one campaign.

Node A dials through the test's Asterisk (`lab`), node B through another of the lab's
(`peer_lab`): what each node dialled is read from its own Asterisk's CDR, so "dialled by both"
is Asterisk's word, not dialerd's. Both run the same progressive campaign: every phone may be
called once; a caller-ID pool with a daily cap per caller ID (counted in the shared Redis) that
is smaller than the list; pairs of leads holding the same number under a rolling cap of one
call per number (counted in PostgreSQL); one abandon window (read from PostgreSQL).

Both nodes dial a first list to its end. A second list is imported then, which each node
takes a batch of at once (all its agents are free), and node A is killed (SIGKILL) while it
holds leased phones of that batch it has not dialled yet: it is stopped (SIGSTOP) at short
intervals until PostgreSQL shows such leases. Those phones come back when their lease (LEASE_S)
runs out, and node B dials each of them, once, and the rest of the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab

pytestmark = pytest.mark.long_lab

LEASE_S = 10  # the shortest a campaign allows
_FRESH = random.Random().sample(range(1_000_000, 9_999_999), 110)
# Fresh numbers each run: Asterisk's CDR and Redis's caller-ID counters keep earlier runs'.
POOL = [f"+38067{n}" for n in _FRESH[:3]]
SHARED = [f"+38050{n}" for n in _FRESH[3:13]]  # each held by two leads: one call, whoever
FIRST = [f"+38050{n}" for n in _FRESH[13:33]]  # with SHARED, the first list
SECOND = [f"+38050{n}" for n in _FRESH[33:]]  # the second list
CALLABLE = len(SHARED) + len(FIRST) + len(SECOND)  # 107 numbers
# Per caller ID: 99 calls in all, so the cap binds near the end of the second list, well
# after the killed node's leases came back (at most 10 of them, 10 s later).
PER_DAY = 33
FAST_WORLD = {
    "LAB_ANSWER_PCT": "55", "LAB_BUSY_PCT": "20", "LAB_CONGESTION_PCT": "5",
    "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "3", "LAB_TALK_MIN_S": "2", "LAB_TALK_MAX_S": "4",
    "LAB_BUSY_MIN_S": "1", "LAB_BUSY_MAX_S": "2",
}  # fmt: skip
CAMPAIGN = (
    """\
name: {name}
mode: progressive
queue: {queue}
wrapup_s: 2
region: UA
dial:
  trunk: "Local/{{number}}@{context}"
  ring_timeout_s: 15
  caller_name: "Lab Test"
caller_ids:
  numbers:
@POOL@  defer_s: 900
lines: {{max_lines: 10, calls_per_second: 20}}
retry:
  busy: {{delay_s: 3600, max_attempts: 1}}
  no_answer: {{delay_s: 3600, max_attempts: 1}}
  congestion: {{delay_s: 3600, max_attempts: 1}}
  abandoned: {{delay_s: 3600, max_attempts: 1}}
  failed: {{delay_s: 3600, max_attempts: 1}}
  max_attempts_per_phone: 1
limits:
  rolling:
    - calls: 1
      per_h: 1
      scope: number
lease_s: @LEASE_S@
""".replace("@POOL@", "".join(f'    - {{{{number: "{n}", @CAPS@}}}}\n' for n in POOL))
    .replace("@CAPS@", f"per_day: {PER_DAY}, per_minute: 1000")  # only the daily cap binds
    .replace("@LEASE_S@", str(LEASE_S))
)


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def write_leads(path: Path, shared: list[str], single: list[str]) -> Path:
    rows = ["external_id,name,phone"]
    rows += [f"S{n},Shared {n},{n}" for n in shared]
    rows += [f"T{n},Twin {n},{n}" for n in shared]
    rows += [f"L{n},Lead {n},{n}" for n in single]
    path.write_text("\n".join(rows) + "\n")
    return path


def node(lab: Lab, database: str, workdir: Path, name: str) -> Dialer:
    return Dialer(
        lab,
        database,
        workdir,
        campaign="twonodes",
        node=name,
        campaign_yaml=CAMPAIGN,
        extra_config=f"redis:\n  url: {lab.redis_url}\n",
    )


def customer_legs(lab: Lab, half: str) -> dict[str, dict[str, str]]:
    """CDR rows of the Local channels Asterisk placed to our numbers, by uniqueid: the
    originated `;1` half (uniqueid = the attempt id) or the `;2` half that plays the customer
    (whose `src` is the caller ID it received)."""
    ours = set(SHARED + FIRST + SECOND)
    return {
        row["uniqueid"]: row
        for row in lab.cdr_rows()
        if row["channel"].startswith("Local/")
        and row["channel"].endswith(half)
        and row["channel"].split("/", 1)[1].split("@", 1)[0] in ours
    }


def calls_by_number(lab: Lab) -> Counter[str]:
    """How often Asterisk called each of our numbers, from its CDR."""
    legs = customer_legs(lab, ";1").values()
    return Counter(row["channel"].split("/", 1)[1].split("@", 1)[0] for row in legs)


def caller_ids_shown(*labs: Lab) -> Counter[str]:
    """How often each caller ID was shown to our customers, over every lab's CDR."""
    return Counter(row["src"] for lab in labs for row in customer_legs(lab, ";2").values())


async def kill_holding_leases(dialer: Dialer, url: str, node_name: str) -> list[dict[str, Any]]:
    """SIGKILL `dialer` at a moment it holds leased phones not dialled yet; those leases."""
    process = dialer.process
    assert process is not None
    for _ in range(300):
        process.send_signal(signal.SIGSTOP)
        held = await query(
            url,
            "SELECT phone_id, lease_until FROM phone_schedule"
            " WHERE state = 'leased' AND leased_by = $1",
            node_name,
        )
        if held:
            process.kill()
            process.wait()
            dialer.process = None
            return [dict(r) for r in held]
        process.send_signal(signal.SIGCONT)
        await asyncio.sleep(random.uniform(0.0, 0.05))
    raise AssertionError(f"{node_name} never held a lease it had not dialled yet")


async def settled(url: str, *nodes: str) -> bool | str:
    """Nothing left to dial soon, no lease out, and every call of these nodes ended."""
    rows = await query(
        url,
        "SELECT"
        " (SELECT count(*) FROM phone_schedule WHERE state = 'leased'"
        "   OR (state = 'scheduled' AND next_dial_at < now() + interval '10 minutes')) AS due,"
        " (SELECT count(*) FROM call_attempts WHERE node = ANY($1) AND ended_at IS NULL) AS open",
        list(nodes),
    )
    due, open_ = rows[0]["due"], rows[0]["open"]
    return True if due == 0 and open_ == 0 else f"due or leased: {due}, open calls: {open_}"


def status(dialer: Dialer) -> dict[str, Any]:
    with urllib.request.urlopen(
        f"http://127.0.0.1:{dialer.metrics_port}/status", timeout=5
    ) as response:
        document: dict[str, Any] = json.load(response)
        return document


async def one_abandon_window(dialer: Dialer, url: str) -> bool | str:
    """The node's abandon window counts every node's answered calls, not only its own."""
    rows = await query(
        url,
        "SELECT count(*) FILTER (WHERE outcome = 'connected') AS connected,"
        " count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned FROM call_attempts",
    )
    expected = {"connected": rows[0]["connected"], "abandoned": rows[0]["abandoned"]}
    (campaign,) = (await asyncio.to_thread(status, dialer))["campaigns"]
    window = {k: campaign["abandon"][k] for k in expected}
    return True if window == expected else f"window {window}, all nodes {expected}"


async def database_work(url: str, calls: int) -> str:
    """What the run cost PostgreSQL, per call placed (the figures in docs/scaling.md)."""
    (row,) = await query(
        url,
        "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS written"
        " FROM pg_stat_database WHERE datname = current_database()",
    )
    per_call = f"{row['xact_commit'] / calls:.1f} commits, {row['written'] / calls:.1f} rows"
    return f"PostgreSQL: {row['xact_commit']} commits, {row['written']} rows written; {per_call}"


async def test_two_nodes_share_one_campaign_and_a_killed_nodes_leases_are_dialled_once(
    lab: Lab, peer_lab: Lab, database: str, tmp_path: Path
) -> None:
    first = node(lab, database, tmp_path / "a", "node-a")
    second = node(peer_lab, database, tmp_path / "b", "node-b")
    first.import_csv(write_leads(tmp_path / "first.csv", SHARED, FIRST))
    async with contextlib.AsyncExitStack() as worlds:
        await worlds.enter_async_context(lab_world(lab, **FAST_WORLD))
        await worlds.enter_async_context(lab_world(peer_lab, **FAST_WORLD))
        first.start()
        second.start()
        try:
            both = ("node-a", "node-b")
            await wait_until(lambda: settled(database, *both), timeout_s=120, interval_s=1)
            more = write_leads(tmp_path / "second.csv", [], SECOND)
            second_list = asyncio.create_task(asyncio.to_thread(first.import_csv, more))
            held = await kill_holding_leases(first, database, "node-a")
            await second_list
            await wait_until(lambda: settled(database, "node-b"), timeout_s=240)
            await wait_until(lambda: one_abandon_window(second, database), timeout_s=60)
        finally:
            if first.process is not None:
                first.stop(signal.SIGKILL)
            code = second.stop(signal.SIGTERM)
    assert code == 0, second.log_text()[-3000:]

    on_a, on_b = calls_by_number(lab), calls_by_number(peer_lab)
    both = sorted(set(on_a) & set(on_b))
    report = (
        f"phones dialled by both nodes: {len(both)}; node A {sum(on_a.values())} calls,"
        f" node B {sum(on_b.values())}; {len(held)} leases of the killed node A came back"
    )
    print(report)  # pytest -s shows it
    print(await database_work(database, (on_a + on_b).total()))
    assert both == [], report
    twice = {n: c for n, c in (on_a + on_b).items() if c > 1}
    assert twice == {}, f"called more than once: {twice}; {report}"

    attempts = [
        dict(r)
        for r in await query(
            database, "SELECT phone_id, node, number, created_at, ended_at FROM call_attempts"
        )
    ]
    per_phone = Counter(a["phone_id"] for a in attempts)
    assert max(per_phone.values()) == 1, per_phone.most_common(3)
    # The killed node's leases: each phone dialled once, by node B, once its lease ran out.
    by_phone = {a["phone_id"]: a for a in attempts}
    for lease in held:
        attempt = by_phone.get(lease["phone_id"])
        if attempt is None:
            row = await query(
                database, "SELECT * FROM phone_schedule WHERE phone_id = $1", lease["phone_id"]
            )
            logs = [
                line
                for line in (first.log_text() + second.log_text()).splitlines()
                if f'"phone_id": {lease["phone_id"]}' in line
            ]
            raise AssertionError(f"leased phone never dialled: {dict(row[0])}, {logs}")
        assert attempt["node"] == "node-b", attempt
        assert attempt["created_at"] >= lease["lease_until"], (attempt, lease)
        assert (on_a[attempt["number"]], on_b[attempt["number"]]) == (0, 1), attempt

    # The caller-ID cap, counted in Redis for both nodes: it bound (phones were put off for
    # it) and no caller ID was shown more than PER_DAY times on the two Asterisks together.
    shown = caller_ids_shown(lab, peer_lab)
    assert set(shown) <= set(POOL), shown
    assert sum(shown.values()) == (on_a + on_b).total(), shown  # every call showed one
    assert max(shown.values()) <= PER_DAY, shown
    assert sum(shown.values()) < CALLABLE, shown
    assert "daily cap" in second.log_text(), "the caller-ID cap never bound"
    # The rolling cap per number, counted in PostgreSQL: a shared number was called once.
    assert all((on_a + on_b)[n] <= 1 for n in SHARED), {n: (on_a + on_b)[n] for n in SHARED}
    assert "1 calls per 1 h to the number reached" in first.log_text() + second.log_text()
    # Both nodes dialled the first list.
    first_list = set(SHARED + FIRST)
    assert set(on_a) & first_list, report
    assert set(on_b) & first_list, report
