"""Leads due, scheduled and exhausted per campaign, for the metrics (one scan per call)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from dialerd.probes import LeadCounts
from dialerd.storage.store import PgStore

__all__ = ["PgLeadCounts"]

# One row per lead first (at most one of its phones is scheduled, leased or dialing at a
# time), then the leads counted per campaign.
_LEAD_COUNTS = sa.text(
    """
    WITH per_lead AS (
        SELECT campaign_id,
               bool_or(state = 'scheduled' AND next_dial_at <= :now) AS due,
               bool_or(state = 'scheduled' AND next_dial_at > :now) AS later,
               bool_and(state IN ('exhausted', 'blocked'))
                 AND bool_or(state = 'exhausted') AS exhausted
        FROM phone_schedule
        WHERE campaign_id = ANY(:ids)
        GROUP BY campaign_id, lead_id
    )
    SELECT campaign_id,
           count(*) FILTER (WHERE due) AS due,
           count(*) FILTER (WHERE later) AS scheduled,
           count(*) FILTER (WHERE exhausted) AS exhausted
    FROM per_lead GROUP BY campaign_id
    """
)


class PgLeadCounts:
    def __init__(self, store: PgStore) -> None:
        self._store = store

    async def lead_counts(
        self, campaign_ids: Collection[int], now: datetime
    ) -> dict[int, LeadCounts]:
        """Counts for each of `campaign_ids`; a campaign with no leads gets zeros."""
        params = {"ids": list(campaign_ids), "now": now}
        async with self._store.transaction("counting leads") as connection:
            rows = await connection.execute(_LEAD_COUNTS, params)
            found = {r.campaign_id: LeadCounts(r.due, r.scheduled, r.exhausted) for r in rows}
        return {campaign_id: found.get(campaign_id, LeadCounts()) for campaign_id in campaign_ids}
