"""PgDncLists: the do-not-call lists as ``dialerd dnc`` edits them.

An entry is a number or a lead id, on the global list (no campaign) or on one campaign's.
Adding an entry that exists updates its reason and expiry, so importing the same file twice
changes nothing. Every method is one transaction: when ``add`` returns, every node's next
dial batch sees the entry (the runner checks the lists in the database before each batch).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.dnc_rows import DncRequest
from dialerd.domain import DncEntry
from dialerd.storage.connect import make_engine
from dialerd.storage.errors import StorageError, translate_errors
from dialerd.storage.schema import check_at_head
from dialerd.storage.tables import campaigns, do_not_call, leads

__all__ = ["PgDncLists"]

# Values travel as arrays, one element per entry; the campaign is one for the whole call.
_UPSERT = sa.text("""
WITH input AS (
    SELECT DISTINCT ON (number, lead_id) number, lead_id, reason, expires_at
    FROM unnest(:numbers, :lead_ids, :reasons, :expires) AS i(number, lead_id, reason, expires_at)
),
updated AS (
    UPDATE do_not_call AS d SET reason = i.reason, expires_at = i.expires_at
    FROM input AS i
    WHERE d.campaign_id IS NOT DISTINCT FROM CAST(:campaign_id AS bigint)
      AND (d.number = i.number OR d.lead_id = i.lead_id)
    RETURNING d.number, d.lead_id
)
INSERT INTO do_not_call (campaign_id, number, lead_id, reason, expires_at)
SELECT CAST(:campaign_id AS bigint), i.number, i.lead_id, i.reason, i.expires_at FROM input AS i
WHERE NOT EXISTS (SELECT 1 FROM updated AS u WHERE u.number = i.number OR u.lead_id = i.lead_id)
""")

_REMOVE = sa.text("""
DELETE FROM do_not_call AS d
USING unnest(:numbers, :lead_ids, :reasons, :expires) AS i(number, lead_id, reason, expires_at)
WHERE d.campaign_id IS NOT DISTINCT FROM CAST(:campaign_id AS bigint)
  AND (d.number = i.number OR d.lead_id = i.lead_id)
""")

_ARRAYS = (
    sa.bindparam("numbers", type_=ARRAY(sa.Text)),
    sa.bindparam("lead_ids", type_=ARRAY(sa.BigInteger)),
    sa.bindparam("reasons", type_=ARRAY(sa.Text)),
    sa.bindparam("expires", type_=ARRAY(sa.DateTime(timezone=True))),
)
_UPSERT = _UPSERT.bindparams(*_ARRAYS)
_REMOVE = _REMOVE.bindparams(*_ARRAYS)


class PgDncLists:
    def __init__(self, url: str) -> None:
        self._engine = make_engine(url, pool_size=1)

    async def close(self) -> None:
        await self._engine.dispose()

    @asynccontextmanager
    async def _transaction(self, doing: str) -> AsyncIterator[AsyncConnection]:
        with translate_errors(doing):
            async with self._engine.begin() as connection:
                await check_at_head(connection)
                yield connection

    async def add(self, campaign: str | None, requests: Sequence[DncRequest]) -> int:
        """Add (or update) the entries; returns how many were written."""
        async with self._transaction("adding do-not-call entries") as connection:
            campaign_id = await _campaign_id(connection, campaign, create=True)
            await connection.execute(_UPSERT, _arrays(campaign_id, requests))
        return len({(r.number, r.lead_id) for r in requests})

    async def remove(self, campaign: str | None, requests: Sequence[DncRequest]) -> int:
        """Delete the entries (from the global list when ``campaign`` is None); how many."""
        async with self._transaction("removing do-not-call entries") as connection:
            campaign_id = await _campaign_id(connection, campaign, create=False)
            if campaign is not None and campaign_id is None:
                return 0
            return (await connection.execute(_REMOVE, _arrays(campaign_id, requests))).rowcount

    async def missing_leads(self, lead_ids: Sequence[int]) -> set[int]:
        """The lead ids that name no lead (an entry for them could never match)."""
        statement = sa.select(leads.c.id).where(leads.c.id.in_(list(lead_ids)))
        async with self._transaction("looking up leads") as connection:
            found = set((await connection.execute(statement)).scalars())
        return set(lead_ids) - found

    async def entries_for(
        self, number: str | None, lead_id: int | None, now: datetime
    ) -> list[DncEntry]:
        """Every entry in force naming the number or the lead, on any list."""
        d = do_not_call.c
        statement = (
            sa.select(
                d.id, campaigns.c.name, d.number, d.lead_id, d.reason, d.created_at, d.expires_at
            )
            .select_from(do_not_call.outerjoin(campaigns, campaigns.c.id == d.campaign_id))
            .where(_naming(number, lead_id))
            .where(sa.or_(d.expires_at.is_(None), d.expires_at > now))
            .order_by(d.id)
        )
        async with self._transaction("checking the do-not-call lists") as connection:
            rows = (await connection.execute(statement)).all()
        return [DncEntry(*row) for row in rows]


async def _campaign_id(
    connection: AsyncConnection, name: str | None, *, create: bool
) -> int | None:
    if name is None:
        return None
    if create:
        await connection.execute(
            sa.text("INSERT INTO campaigns (name) VALUES (:name) ON CONFLICT (name) DO NOTHING"),
            {"name": name},
        )
    found = await connection.execute(sa.select(campaigns.c.id).where(campaigns.c.name == name))
    value = found.scalar_one_or_none()
    return None if value is None else int(value)


def _naming(number: str | None, lead_id: int | None) -> sa.ColumnElement[bool]:
    # Spelled out: `column == None` would be `IS NULL`, matching every entry of the other kind.
    conditions = []
    if number is not None:
        conditions.append(do_not_call.c.number == number)
    if lead_id is not None:
        conditions.append(do_not_call.c.lead_id == lead_id)
    if not conditions:
        raise StorageError("name a number or a lead to check")
    return sa.or_(*conditions)


def _arrays(campaign_id: int | None, requests: Sequence[DncRequest]) -> dict[str, object]:
    if not requests:
        raise StorageError("no do-not-call entries given")
    return {
        "campaign_id": campaign_id,
        "numbers": [r.number for r in requests],
        "lead_ids": [r.lead_id for r in requests],
        "reasons": [r.reason for r in requests],
        "expires": [r.expires_at for r in requests],
    }
