"""Do-not-call check benchmark: the per-batch query against a big list, beside a bare round trip.

A throwaway database in the lab gets ``--entries`` listed numbers (one in ten on the
campaign's own list, the rest global); a batch of ``--batch`` claimed phones, a third of them
listed, is checked ``--rounds`` times with the very method the runner calls
(``PgStore.do_not_call_matches``). The baseline, in the same process, is ``SELECT 1`` in a
transaction of its own, as PgStore runs every call: what any database round trip costs here.

    .venv/bin/python -m bench.dnc_check.run [--entries 1000000] [--batch 30] [--rounds 500]

The last line is:
RESULT entries=<n> batch=<n> check_ms_p50=<ms> check_ms_p99=<ms> select1_ms_p50=<ms>
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.lead_import.run import lab_database_url
from dialerd.domain import DuePhone
from dialerd.storage import PgStore, migrate
from dialerd.storage.connect import make_engine
from dialerd.storage.testing import throwaway_database

FILL = """
INSERT INTO do_not_call (campaign_id, number, reason)
SELECT CASE WHEN n % 10 = 0 THEN CAST(:campaign_id AS bigint) END,
       '+38050' || (1000000 + n), 'bench'
FROM generate_series(1, :entries) AS n
"""
LEADS = """
WITH l AS (
    INSERT INTO leads (campaign_id, name) SELECT :campaign_id, 'bench ' || n
    FROM generate_series(1, :batch) AS n RETURNING id
), p AS (
    INSERT INTO lead_phones (lead_id, number, position)
    SELECT id, '+38067' || (1000000 + row_number() OVER ()), 0 FROM l RETURNING id, lead_id
)
INSERT INTO phone_schedule (phone_id, campaign_id, lead_id, state, next_dial_at)
SELECT id, :campaign_id, lead_id, 'scheduled', now() FROM p
"""
# A third of the batch listed: their numbers put on the global list.
LIST_SOME = """
INSERT INTO do_not_call (number, reason)
SELECT number, 'bench hit' FROM lead_phones WHERE id % 3 = 0
"""


async def fill(url: str, entries: int, batch: int, campaign_id: int) -> None:
    engine = make_engine(url, pool_size=1)
    params = {"campaign_id": campaign_id, "entries": entries, "batch": batch}
    async with engine.begin() as connection:
        for statement in (FILL, LEADS, LIST_SOME):
            await connection.execute(sa.text(statement), params)
        await connection.execute(sa.text("ANALYZE"))
    await engine.dispose()


_ENGINES: dict[str, AsyncEngine] = {}


async def select_one(url: str) -> None:
    engine = _ENGINES.setdefault(url, make_engine(url, pool_size=1))
    async with engine.begin() as connection:
        await connection.execute(sa.text("SELECT 1"))


async def timed(rounds: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    costs = []
    for _ in range(rounds):
        start = time.perf_counter()
        await work()
        costs.append((time.perf_counter() - start) * 1000)
    return costs


def summary(costs: list[float]) -> tuple[float, float]:
    ordered = sorted(costs)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


async def run(entries: int, batch: int, rounds: int) -> None:
    async with throwaway_database(lab_database_url(), "bench") as url:
        await migrate(url)
        store = PgStore(url)
        try:
            campaign_id = await store.ensure_campaign("bench")
            await fill(url, entries, batch, campaign_id)
            now = datetime.now(UTC)
            phones: list[DuePhone] = await store.claim_due_phones(
                campaign_id, "bench", batch, 3600, now
            )
            hits = len(await store.do_not_call_matches(campaign_id, phones, now))
            check = await timed(rounds, lambda: store.do_not_call_matches(campaign_id, phones, now))
            select1 = await timed(rounds, lambda: select_one(url))
        finally:
            await store.close()
            await _ENGINES.pop(url).dispose()
    c50, c99 = summary(check)
    s50, s99 = summary(select1)
    print(f"entries {entries:,}, batch {len(phones)} phones, {hits} listed, {rounds} rounds")
    print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'do_not_call_matches':24}{c50:10.2f}{c99:10.2f}")
    print(f"{'baseline round trip':24}{s50:10.2f}{s99:10.2f}")
    print(
        f"RESULT entries={entries} batch={len(phones)} check_ms_p50={c50:.2f} "
        f"check_ms_p99={c99:.2f} select1_ms_p50={s50:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.entries, args.batch, args.rounds))


if __name__ == "__main__":
    main()
