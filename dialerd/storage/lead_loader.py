"""Bulk lead loading into one campaign: COPY into staging tables, then set-based merges.

An import is one transaction (a failed import leaves the campaign as it was) fed chunk by chunk,
so parsing the file overlaps the database's work. Each chunk arrives already encoded for COPY
(:mod:`dialerd.storage.lead_staging`, done in the parsing processes). Two imports into the same
campaign take turns on a ``FOR NO KEY UPDATE`` lock of the campaign row, which leaves the
daemon's foreign-key checks unblocked.

Each chunk is matched against the campaign — including what earlier chunks of the same import
wrote — and merged by the rule of :func:`dialerd.storage.lead_records.merge_leads`:

* a lead with an ``external_id`` matches the campaign's lead with that id;
* a lead without one matches the campaign's lead without one that has the same first number
  (the lowest-id one, should there be several);
* a matched lead takes the non-empty name, time zone and call window, merges custom fields key by
  key, and gets the numbers it lacks after its own.

Schedule rows: a new lead's first phone is ``scheduled`` at ``now``, the others ``standby``.
A phone added to an existing lead waits on ``standby`` behind the lead's current phone, unless
every phone the lead had is ``exhausted``: then the first added one is ``scheduled``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Protocol, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.storage.connect import make_engine
from dialerd.storage.errors import translate_errors
from dialerd.storage.lead_records import LeadRecord, LoadCounts
from dialerd.storage.lead_staging import (
    STAGED_LEAD_COLUMNS,
    STAGED_PHONE_COLUMNS,
    StagedChunk,
    stage_leads,
)
from dialerd.storage.schema import check_at_head

__all__ = ["LeadLoader", "load_leads", "open_lead_loader"]

_ENSURE_CAMPAIGN = sa.text("""
WITH created AS (
    INSERT INTO campaigns (name) VALUES (:name) ON CONFLICT (name) DO NOTHING RETURNING id
)
SELECT id FROM created
UNION ALL
SELECT id FROM campaigns WHERE name = :name
""")

# NO KEY UPDATE: imports into one campaign queue up, the daemon's foreign-key checks do not.
_LOCK_CAMPAIGN = sa.text("SELECT 1 FROM campaigns WHERE id = :id FOR NO KEY UPDATE")

_STAGE = """
CREATE TEMP TABLE import_leads (
    seq integer NOT NULL, external_id text, first_number text NOT NULL, name text NOT NULL,
    time_zone text, call_window_start time, call_window_end time, fields jsonb NOT NULL,
    -- a fresh id for each row; a matched row's is replaced (the sequence has room to spare)
    lead_id bigint NOT NULL DEFAULT nextval('leads_id_seq'),
    matched boolean NOT NULL DEFAULT false
) ON COMMIT DROP;
CREATE TEMP TABLE import_phones (
    seq integer NOT NULL, position smallint NOT NULL, number text NOT NULL,
    phone_type text NOT NULL
) ON COMMIT DROP;
"""

# $2: the staged rows worth looking up (see LeadLoader._worth_probing).
_MATCH_EXTERNAL_IDS = """
UPDATE import_leads AS s SET lead_id = l.id, matched = true
FROM unnest($2::integer[]) AS probe(seq), leads AS l
WHERE s.seq = probe.seq AND l.campaign_id = $1 AND l.external_id = s.external_id
"""

_MATCH_FIRST_NUMBERS = """
UPDATE import_leads AS s SET lead_id = m.id, matched = true
FROM (
    SELECT DISTINCT ON (p.number) p.number, l.id
    FROM unnest($2::integer[]) AS probe(seq)
    JOIN import_leads AS k USING (seq)
    JOIN lead_phones AS p ON p.number = k.first_number AND p.position = 0
    JOIN leads AS l ON l.id = p.lead_id
    WHERE k.external_id IS NULL AND l.campaign_id = $1 AND l.external_id IS NULL
    ORDER BY p.number, l.id
) AS m
WHERE s.external_id IS NULL AND s.first_number = m.number
"""

_UPDATE_MATCHED = """
UPDATE leads AS l SET
    name = CASE WHEN s.name <> '' THEN s.name ELSE l.name END,
    time_zone = coalesce(s.time_zone, l.time_zone),
    call_window_start = CASE WHEN s.call_window_start IS NULL
                             THEN l.call_window_start ELSE s.call_window_start END,
    call_window_end = CASE WHEN s.call_window_start IS NULL
                           THEN l.call_window_end ELSE s.call_window_end END,
    fields = l.fields || s.fields
FROM import_leads AS s
WHERE s.matched AND l.id = s.lead_id
"""

_INSERT_NEW = """
INSERT INTO leads (id, campaign_id, external_id, name, time_zone,
                   call_window_start, call_window_end, fields, created_at)
SELECT lead_id, $1, external_id, name, time_zone, call_window_start, call_window_end, fields, $2
FROM import_leads WHERE NOT matched
"""

_PHONES_OF_NEW = """
WITH added AS (
    INSERT INTO lead_phones (lead_id, number, phone_type, position)
    SELECT s.lead_id, p.number, p.phone_type, p.position
    FROM import_phones AS p JOIN import_leads AS s USING (seq)
    WHERE NOT s.matched
    RETURNING id, lead_id, position
)
INSERT INTO phone_schedule (phone_id, campaign_id, lead_id, state, next_dial_at, updated_at)
SELECT id, $1, lead_id,
       CASE WHEN position = 0 THEN 'scheduled' ELSE 'standby' END,
       CASE WHEN position = 0 THEN $2::timestamptz END,
       $2
FROM added
"""

_PHONES_OF_MATCHED = """
WITH fresh AS (
    SELECT DISTINCT ON (s.lead_id, p.number) s.lead_id, p.number, p.phone_type, s.seq, p.position
    FROM import_phones AS p JOIN import_leads AS s USING (seq)
    WHERE s.matched AND NOT EXISTS (
        SELECT 1 FROM lead_phones AS q WHERE q.lead_id = s.lead_id AND q.number = p.number)
    ORDER BY s.lead_id, p.number, s.seq, p.position
), added AS (
    INSERT INTO lead_phones (lead_id, number, phone_type, position)
    SELECT lead_id, number, phone_type,
           (SELECT coalesce(max(q.position), -1) FROM lead_phones AS q WHERE q.lead_id = f.lead_id)
           + row_number() OVER (PARTITION BY lead_id ORDER BY seq, position)
    FROM fresh AS f
    RETURNING id, lead_id, position
), revived AS (
    SELECT DISTINCT ON (a.lead_id) a.id FROM added AS a
    WHERE NOT EXISTS (
        SELECT 1 FROM lead_phones AS q JOIN phone_schedule AS ps ON ps.phone_id = q.id
        WHERE q.lead_id = a.lead_id AND ps.state NOT IN ('exhausted', 'blocked'))
    ORDER BY a.lead_id, a.position
)
INSERT INTO phone_schedule (phone_id, campaign_id, lead_id, state, next_dial_at, updated_at)
SELECT a.id, $1, a.lead_id,
       CASE WHEN r.id IS NULL THEN 'standby' ELSE 'scheduled' END,
       CASE WHEN r.id IS NULL THEN NULL ELSE $2::timestamptz END,
       $2
FROM added AS a LEFT JOIN revived AS r ON r.id = a.id
"""

_HAS_LEADS = "SELECT EXISTS (SELECT 1 FROM leads WHERE campaign_id = $1)"

_ANALYZE_EVERY = 10_000


class _Driver(Protocol):
    """The part of asyncpg's connection used here (SQLAlchemy hands it over untyped)."""

    async def execute(self, query: str, *args: object) -> str: ...

    async def fetchval(self, query: str, *args: object) -> object: ...

    async def copy_to_table(
        self, table_name: str, *, source: memoryview, columns: Sequence[str]
    ) -> str: ...


async def load_leads(
    url: str, campaign_name: str, leads: Iterable[LeadRecord], now: datetime
) -> LoadCounts:
    """Merge ``leads`` (duplicates allowed) into the campaign, created if new, in one go."""
    async with open_lead_loader(url, campaign_name, now) as loader:
        return await loader.load(stage_leads(leads))


@asynccontextmanager
async def open_lead_loader(
    url: str, campaign_name: str, now: datetime
) -> AsyncIterator[LeadLoader]:
    """A loader for the campaign (created if new) whose chunks commit together on exit."""
    engine = make_engine(url, pool_size=1)
    try:
        with translate_errors(f"importing leads into campaign {campaign_name!r}"):
            async with engine.begin() as connection:
                await check_at_head(connection)  # also opens the transaction COPY joins
                campaign_id = await _lock_campaign(connection, campaign_name)
                raw = await connection.get_raw_connection()
                driver = cast(_Driver, raw.driver_connection)
                await driver.execute(_STAGE)
                had_leads = bool(await driver.fetchval(_HAS_LEADS, campaign_id))
                yield LeadLoader(driver, campaign_id, now, had_leads)
    finally:
        await engine.dispose()


async def _lock_campaign(connection: AsyncConnection, name: str) -> int:
    campaign_id = (await connection.execute(_ENSURE_CAMPAIGN, {"name": name})).scalar_one()
    await connection.execute(_LOCK_CAMPAIGN, {"id": campaign_id})
    return int(campaign_id)


class LeadLoader:
    """Writes staged chunks of leads into one campaign inside the transaction that opened it."""

    def __init__(self, driver: _Driver, campaign_id: int, now: datetime, had_leads: bool) -> None:
        self._driver = driver
        self._campaign_id = campaign_id
        self._now = now
        self._had_leads = had_leads
        self._seen: set[int] = set()
        self._written = 0
        self._analyzed_at = 0
        self._staged_before = False

    async def load(self, chunk: StagedChunk) -> LoadCounts:
        """Add a chunk: merge what the campaign has already, insert the rest."""
        if not chunk.count:
            return LoadCounts(merged=chunk.folded)
        await self._stage(chunk)
        campaign, now = self._campaign_id, self._now
        matched = 0
        if probe := self._worth_probing(chunk):
            matched += await self._run(_MATCH_EXTERNAL_IDS, campaign, probe)
            matched += await self._run(_MATCH_FIRST_NUMBERS, campaign, probe)
        new = await self._run(_INSERT_NEW, campaign, now)
        phones = await self._run(_PHONES_OF_NEW, campaign, now)
        if matched:
            await self._run(_UPDATE_MATCHED)
            phones += await self._run(_PHONES_OF_MATCHED, campaign, now)
        await self._refresh_statistics(new)
        return LoadCounts(new_leads=new, merged=chunk.folded + matched, phones_added=phones)

    def _worth_probing(self, chunk: StagedChunk) -> list[int]:
        """The chunk's rows that may match a lead the campaign holds.

        Into a campaign that had leads, every row; otherwise only rows whose key an earlier
        chunk of this import had — sparing a million index lookups that find nothing.
        """
        seen = self._seen
        if self._had_leads:
            probe = list(range(chunk.count))
        else:
            probe = [seq for seq, key in enumerate(chunk.key_hashes) if key in seen]
        seen.update(chunk.key_hashes)
        return probe

    async def _stage(self, chunk: StagedChunk) -> None:
        await self._driver.execute("TRUNCATE import_leads, import_phones")
        for table, data, columns in (
            ("import_leads", chunk.leads, STAGED_LEAD_COLUMNS),
            ("import_phones", chunk.phones, STAGED_PHONE_COLUMNS),
        ):
            # A memoryview: asyncpg would take plain bytes for a file name.
            await self._driver.copy_to_table(table, source=memoryview(data), columns=columns)
        if not self._staged_before:  # chunks look alike: the first one's statistics will do
            await self._driver.execute("ANALYZE import_leads, import_phones")
            self._staged_before = True

    async def _run(self, statement: str, *args: object) -> int:
        """Execute; the rows it touched, from a command tag like ``INSERT 0 42``."""
        status = await self._driver.execute(statement, *args)
        return int(status.rsplit(" ", 1)[-1])

    async def _refresh_statistics(self, written: int) -> None:
        """Re-ANALYZE the tables each time this import has doubled the leads it wrote.

        Statistics taken before a big import describe near-empty tables, and the plans picked
        from them (a scan per matched key) grow slower with every chunk. ANALYZE inside our
        transaction counts our own uncommitted rows. (Its lock, held to the end of the import,
        makes a concurrent import into another campaign wait at its own first ANALYZE.)
        """
        self._written += written
        if self._written >= max(2 * self._analyzed_at, _ANALYZE_EVERY):
            await self._driver.execute("ANALYZE leads, lead_phones, phone_schedule")
            self._analyzed_at = self._written
