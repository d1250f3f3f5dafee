"""PgCallbacks: customers' callback requests ("reply 1"), claimed ahead of the due phones.

A request is one row of ``callback_requests`` for the lead's phone to dial: due at once (or
when the customer's calling window next opens), with a deadline. :meth:`PgCallbacks.claim`
leases the phones of due requests like ``claim_due_phones`` does, whatever their schedule
says, so the campaign runner dials them first. The attempt's outcome settles the request
(:func:`settle_outcomes`, in the outcome's own transaction): met when the customer reached an
agent by the deadline. A request nobody dialled by its deadline is settled missed by
:meth:`PgCallbacks.sweep`. Each settlement writes its follow-up event when the campaign has
follow-ups (docs/followups.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.callbacks import CallbackAsk, NoSuchLead, callback_view
from dialerd.domain import DuePhone
from dialerd.followups import FollowupKind
from dialerd.storage.callbacks_sql import (
    CLAIM,
    COUNTS,
    INSERT,
    LEAD_BY_NUMBER,
    OPEN_OF_LEAD,
    PICK_PHONE,
    PUT_OFF,
    SWEEP,
    enqueue_callback_event,
    request_context,
    settled_events,
)
from dialerd.storage.dialing_sql import DUE_DETAILS
from dialerd.storage.store import PgStore, _due_phone

__all__ = ["CallbackRecord", "PgCallbacks", "claims_for"]

RECLAIM_AFTER_S = 30.0  # a claimed callback not dialled after all is claimed again after this
Reopens = Callable[[DuePhone, datetime], datetime | None]


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """A request as stored; ``created`` is False when the lead already had one open."""

    row: dict[str, Any]
    created: bool

    def document(self) -> dict[str, Any]:
        """The API's and the CLI's answer."""
        view = callback_view(self.row)
        lead = {"campaign": self.row["campaign"], "lead_id": self.row["lead_id"]}
        return lead | {"number": self.row["number"], "created": self.created} | view


class PgCallbacks:
    """Callback requests in PostgreSQL, through a `PgStore`'s connection pool."""

    def __init__(self, store: PgStore) -> None:
        self._store = store

    async def request(
        self,
        ask: CallbackAsk,
        now: datetime,
        reopens: Reopens,
        events: bool,
    ) -> CallbackRecord:
        """Record the request (or find the lead's open one); ``reopens(phone, now)`` says
        when the customer's calling window opens, None when it is open now."""
        async with self._store.transaction("recording a callback request") as connection:
            lead_id = ask.lead_id
            if lead_id is None:
                found = await connection.execute(
                    LEAD_BY_NUMBER, {"campaign": ask.campaign, "number": ask.number}
                )
                lead_id = found.scalar_one_or_none()
                if lead_id is None:
                    raise NoSuchLead(f"no lead with phone {ask.number} in {ask.campaign}")
            params = {"lead_id": lead_id, "campaign": ask.campaign, "number": ask.number or ""}
            picked = (await connection.execute(PICK_PHONE, params)).first()
            if picked is None:
                raise NoSuchLead(f"no lead {lead_id} with a phone to call in {ask.campaign}")
            existing = (await connection.execute(OPEN_OF_LEAD, {"lead_id": lead_id})).first()
            if existing is not None:
                return CallbackRecord(await request_context(connection, existing.id), created=False)
            phone = await _details(connection, picked.phone_id)
            due_at = reopens(phone, now) or now
            row = {
                "campaign_id": picked.campaign_id,
                "lead_id": lead_id,
                "phone_id": picked.phone_id,
                "source": ask.source,
                "requested_at": now,
                "due_at": due_at,
                "deadline": now + timedelta(seconds=ask.deadline_s),
            }
            inserted = (await connection.execute(INSERT, row)).first()
            if inserted is None:  # another request for the lead was committed meanwhile
                raced = (await connection.execute(OPEN_OF_LEAD, {"lead_id": lead_id})).one()
                return CallbackRecord(await request_context(connection, raced.id), created=False)
            context = await request_context(connection, inserted.id)
            if events:
                kind = FollowupKind.CALLBACK_REQUESTED
                await enqueue_callback_event(connection, kind, context, now)
            return CallbackRecord(context, created=True)

    async def claim(
        self,
        campaign_id: int,
        node: str,
        limit: int,
        lease_s: float,
        now: datetime,
        *,
        agents: Collection[str] = (),
    ) -> list[DuePhone]:
        """Lease up to ``limit`` phones of due callback requests to ``node``; a request an
        agent owns only while that agent (by member name or interface) is in ``agents``."""
        params = {
            "agents": list(agents),
            "campaign_id": campaign_id,
            "node": node,
            "now": now,
            "limit": limit,
            "lease_until": now + timedelta(seconds=lease_s),
        }
        async with self._store.transaction("claiming callbacks") as connection:
            owners = {r.phone_id: r.owner for r in await connection.execute(CLAIM, params)}
            if not owners:
                return []
            claimed = list(owners)
            again_at = now + timedelta(seconds=RECLAIM_AFTER_S)
            await connection.execute(PUT_OFF, {"phone_ids": claimed, "again_at": again_at})
            rows = await connection.execute(DUE_DETAILS, {"phone_ids": claimed})
            phones = [_due_phone(row) for row in rows.mappings()]
            # an owned request names its agent: the call goes to that agent (dialerd.agents)
            return [replace(p, agent_name=owners.get(p.phone_id) or "") for p in phones]

    async def sweep(self, now: datetime, with_events: Collection[str]) -> int:
        """Settle as missed the requests past their deadline that nobody is dialling."""
        async with self._store.transaction("settling overdue callbacks") as connection:
            rows = (await connection.execute(SWEEP, {"now": now})).mappings().all()
            await settled_events(connection, rows, now, with_events)
        return len(rows)

    async def counts(self) -> dict[tuple[str, bool], int]:
        """Settled requests by (campaign, met), for the metrics."""
        async with self._store.transaction("counting callbacks") as connection:
            rows = (await connection.execute(COUNTS)).all()
        return {(row.campaign, bool(row.met)): int(row.n) for row in rows}


async def _details(connection: AsyncConnection, phone_id: int) -> DuePhone:
    rows = await connection.execute(DUE_DETAILS, {"phone_ids": [phone_id]})
    return _due_phone(rows.mappings().one())


def claims_for(store: object) -> PgCallbacks | None:
    """Callbacks for a runner on PostgreSQL; none for a unit test's store."""
    return PgCallbacks(store) if isinstance(store, PgStore) else None
