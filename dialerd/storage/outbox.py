"""PgOutbox: the follow-up outbox as the webhook sender sees it (claim, then settle).

Each call is one short transaction; no transaction is open while a webhook is in flight.
The SQL and the claim protocol are in :mod:`dialerd.storage.outbox_sql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from dialerd.followups import OutboxEvent
from dialerd.storage import outbox_sql
from dialerd.storage.store import PgStore

__all__ = ["PgOutbox"]


class PgOutbox:
    """Follow-up events in PostgreSQL, through a `PgStore`'s connection pool."""

    def __init__(self, store: PgStore) -> None:
        self._store = store

    async def claim(
        self, campaigns: Sequence[str], limit: int, now: datetime, lease_s: float
    ) -> list[OutboxEvent]:
        """Due events of ``campaigns``, leased to this node for ``lease_s``."""
        if not campaigns:
            return []
        lease_until = now + timedelta(seconds=lease_s)
        async with self._store.transaction("claiming follow-up events") as connection:
            return await outbox_sql.claim_due(connection, campaigns, limit, now, lease_until)

    async def sent(self, event_id: int, now: datetime) -> None:
        async with self._store.transaction("marking a follow-up sent") as connection:
            await outbox_sql.mark_sent(connection, event_id, now)

    async def failed(self, event_id: int, error: str, next_try_at: datetime, *, dead: bool) -> None:
        async with self._store.transaction("marking a follow-up failed") as connection:
            await outbox_sql.mark_failed(connection, event_id, error, next_try_at, dead=dead)
