"""The caller-ID pool's records in the real PostgreSQL: health, the audit log, the rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from caller_id_pool import InProcessStore, NumberState
from dialerd.app import open_caller_id_store
from dialerd.config import CallerIdSettings, MainConfig
from dialerd.rotation import CallerIdRotator
from dialerd.storage import PgStore
from dialerd.storage.caller_ids import PgCallerIdLog
from tests.integration.daemon import fresh_database
from tests.integration.lab import Lab

HEALTHY = ("+380671000001", "+380501000001", "+380631000001")
FLAGGED = "+380442000001"
NOW = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)

SEED = """
WITH c AS (INSERT INTO campaigns (name) VALUES (:number) RETURNING id),
l AS (INSERT INTO leads (campaign_id, name) SELECT id, 'x' FROM c RETURNING id, campaign_id),
p AS (INSERT INTO lead_phones (lead_id, number, position)
      SELECT id, '+380675550000', 0 FROM l RETURNING id, lead_id)
INSERT INTO call_attempts (attempt_id, campaign_id, lead_id, phone_id, number, caller_id,
                           attempt_number, node, created_at, answered_at, ended_at, outcome)
SELECT gen_random_uuid(), l.campaign_id, l.id, p.id, '+380675550000', :number, 1, 'n',
       CAST(:now AS timestamptz) - (i % 24) * interval '1 hour',
       CASE WHEN i % 100 < :answered_pct THEN CAST(:now AS timestamptz) END,
       CAST(:now AS timestamptz) - (i % 24) * interval '1 hour' + interval '30 seconds',
       CASE WHEN i % 100 < :answered_pct THEN 'connected' ELSE 'no_answer' END
FROM l, p, generate_series(1, :calls) AS i
"""


def settings() -> CallerIdSettings:
    numbers = [{"number": n} for n in (*HEALTHY, FLAGGED)]
    return CallerIdSettings.model_validate({"numbers": numbers, "health": {"min_attempts": 300}})


@pytest.fixture
async def pg(lab: Lab) -> AsyncIterator[PgStore]:
    async with fresh_database(lab) as url:
        store = PgStore(url)
        try:
            yield store
        finally:
            await store.close()


@pytest.fixture
def records(pg: PgStore) -> PgCallerIdLog:
    return PgCallerIdLog(pg)


async def seed(pg: PgStore, number: str, answered_pct: int, calls: int) -> None:
    """`calls` attempts presenting `number`, spread over the last 24 hours."""
    params = {"number": number, "now": NOW, "answered_pct": answered_pct, "calls": calls}
    async with pg.transaction("seeding attempts") as connection:
        await connection.execute(sa.text(SEED), params)


async def test_a_number_answered_far_less_than_its_peers_is_quarantined(
    pg: PgStore, records: PgCallerIdLog
) -> None:
    for number in HEALTHY:
        await seed(pg, number, answered_pct=30, calls=600)
    await seed(pg, FLAGGED, answered_pct=12, calls=600)
    rotator = CallerIdRotator.create(settings(), InProcessStore(), records)
    (change,) = await rotator.check_health(NOW)
    assert (change.number, change.state, change.actor) == (
        FLAGGED,
        NumberState.QUARANTINED,
        "health",
    )
    assert "answer" in change.reason
    assert {n.number: n.state for n in rotator.pool}[FLAGGED] is NumberState.QUARANTINED
    assert (await records.latest_states())[FLAGGED].state is NumberState.QUARANTINED
    assert await rotator.check_health(NOW) == ()  # already paused: no second event


async def test_healthy_pool_is_left_alone(pg: PgStore, records: PgCallerIdLog) -> None:
    for number in (*HEALTHY, FLAGGED):
        await seed(pg, number, answered_pct=30, calls=600)
    rotator = CallerIdRotator.create(settings(), InProcessStore(), records)
    assert await rotator.check_health(NOW) == ()
    assert await records.latest_states() == {}


async def test_an_empty_store_is_rebuilt_from_the_attempts(
    pg: PgStore, records: PgCallerIdLog
) -> None:
    await seed(pg, HEALTHY[0], answered_pct=0, calls=5)
    config = MainConfig.model_validate(
        {"database": {"url": "postgresql://x@h/d"}, "asterisk": [{"username": "u"}]}
    )
    store = await open_caller_id_store(config, records, NOW + timedelta(minutes=1))
    async with pg.transaction("reading leads") as connection:
        lead = (await connection.execute(sa.text("SELECT id FROM leads"))).scalar_one()
    history = (await store.snapshot([str(lead)], list(HEALTHY), NOW)).histories[0]
    assert history.presented[0] == HEALTHY[0]  # the customer's last caller ID survived
