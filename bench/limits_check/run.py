"""Attempt-limits benchmark: the per-batch history query and the per-attempt re-check under the
number's lock, against a big ``call_attempts``, beside a bare round trip.

A throwaway database in the lab gets ``--phones`` leads of one phone each and ``--attempts``
attempts spread over the last 30 days (a tenth of them connected, a fiftieth abandoned). A batch
of ``--batch`` claimed phones is checked ``--rounds`` times with the very method the runner
calls (``PgStore.attempt_histories``) under Florida's and Regulation F's limits plus the
gaps; the re-check is the lock and count ``create_attempt`` runs, in a transaction rolled back.
The baseline, in the same process, is ``SELECT 1`` in a transaction of its own.

    .venv/bin/python -m bench.limits_check.run [--phones 100000] [--attempts 1000000]
        [--batch 30] [--rounds 500]

The last line is:
RESULT attempts=<n> batch=<n> histories_ms_p50=<ms> histories_ms_p99=<ms>
recheck_ms_p50=<ms> recheck_ms_p99=<ms> select1_ms_p50=<ms>
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.dnc_check.run import _ENGINES, select_one, summary, timed
from bench.lead_import.run import lab_database_url
from dialerd.domain import DuePhone, NewAttempt
from dialerd.limits import Limits, RollingCap, Scope
from dialerd.storage import PgStore, migrate
from dialerd.storage.connect import make_engine
from dialerd.storage.limits_sql import recheck_number
from dialerd.storage.testing import throwaway_database

H = timedelta(hours=1)
LIMITS = Limits(
    lead_lifetime=20,
    rolling=(RollingCap(3, 24 * H, Scope.NUMBER), RollingCap(7, 168 * H, Scope.LEAD)),
    after_conversation=168 * H,
    after_abandoned=72 * H,
)
LEADS = """
WITH l AS (
    INSERT INTO leads (campaign_id, name) SELECT :campaign_id, 'bench ' || n
    FROM generate_series(1, :phones) AS n RETURNING id
), p AS (
    INSERT INTO lead_phones (lead_id, number, position)
    SELECT id, '+38067' || (1000000 + row_number() OVER ()), 0 FROM l RETURNING id, lead_id
)
INSERT INTO phone_schedule (phone_id, campaign_id, lead_id, state, next_dial_at)
SELECT id, :campaign_id, lead_id, 'scheduled', now() FROM p
"""
ATTEMPTS = """
INSERT INTO call_attempts (attempt_id, campaign_id, lead_id, phone_id, number, attempt_number,
                           node, created_at, ended_at, outcome)
SELECT gen_random_uuid(), :campaign_id, p.lead_id, p.id, p.number, 1, 'bench', t.at,
       t.at + interval '30 seconds',
       CASE WHEN n % 10 = 0 THEN 'connected' WHEN n % 50 = 1 THEN 'abandoned' ELSE 'busy' END
FROM generate_series(1, :attempts) AS n
JOIN lead_phones AS p ON p.id = (SELECT min(id) FROM lead_phones) + n % :phones
CROSS JOIN LATERAL (SELECT now() - random() * interval '30 days' AS at) AS t
"""


async def fill(url: str, phones: int, attempts: int, campaign_id: int) -> None:
    engine = make_engine(url, pool_size=1)
    params = {"campaign_id": campaign_id, "phones": phones, "attempts": attempts}
    async with engine.begin() as connection:
        for statement in (LEADS, ATTEMPTS):
            await connection.execute(sa.text(statement), params)
        await connection.execute(sa.text("ANALYZE"))
    await engine.dispose()


async def recheck_rolled_back(url: str, attempt: NewAttempt) -> None:
    engine = _ENGINES.setdefault(url, make_engine(url, pool_size=1))
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await recheck_number(connection, attempt, LIMITS)
        await transaction.rollback()


def attempt_for(phone: DuePhone, now: datetime) -> NewAttempt:
    return NewAttempt(
        uuid.uuid4(), phone.campaign_id, phone.lead_id, phone.phone_id, phone.number, None, 1,
        "bench", now,
    )  # fmt: skip


async def run(phones: int, attempts: int, batch: int, rounds: int) -> None:
    async with throwaway_database(lab_database_url(), "bench") as url:
        await migrate(url)
        store = PgStore(url)
        try:
            campaign_id = await store.ensure_campaign("bench")
            await fill(url, phones, attempts, campaign_id)
            now = datetime.now(UTC)
            due = await store.claim_due_phones(campaign_id, "bench", batch, 3600, now)
            histories = await timed(rounds, lambda: store.attempt_histories(due, LIMITS, now))
            attempt = attempt_for(due[0], now)
            recheck = await timed(rounds, lambda: recheck_rolled_back(url, attempt))
            select1 = await timed(rounds, lambda: select_one(url))
        finally:
            await store.close()
            await _ENGINES.pop(url).dispose()
    report(attempts, len(due), rounds, histories=histories, recheck=recheck, select1=select1)


def report(
    attempts: int,
    batch: int,
    rounds: int,
    *,
    histories: list[float],
    recheck: list[float],
    select1: list[float],
) -> None:
    h50, h99 = summary(histories)
    r50, r99 = summary(recheck)
    s50, s99 = summary(select1)
    print(f"{attempts:,} attempts, batch {batch} phones, {rounds} rounds")
    print(f"{'':28}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'attempt_histories (batch)':28}{h50:10.2f}{h99:10.2f}")
    print(f"{'recheck under lock (one)':28}{r50:10.2f}{r99:10.2f}")
    print(f"{'baseline round trip':28}{s50:10.2f}{s99:10.2f}")
    print(
        f"RESULT attempts={attempts} batch={batch} histories_ms_p50={h50:.2f} "
        f"histories_ms_p99={h99:.2f} recheck_ms_p50={r50:.2f} recheck_ms_p99={r99:.2f} "
        f"select1_ms_p50={s50:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.phones, args.attempts, args.batch, args.rounds))


if __name__ == "__main__":
    main()
