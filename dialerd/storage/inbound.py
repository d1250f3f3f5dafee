"""PgInbound: who is calling a pool number back, and the record of each such call.

The caller is looked up by number among every campaign's lead phones (``ix_lead_phones_number``)
and their attempts (``ix_call_attempts_number_created_at``): a handful of rows per number.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from dialerd.inbound import CallerMatch, InboundOutcome, Route
from dialerd.storage.store import PgStore
from dialerd.storage.tables import inbound_calls

__all__ = ["InboundCall", "PgInbound"]

# The attempt that last called the number, those that showed the called pool number first.
_LAST_ATTEMPT = sa.text("""
SELECT a.lead_id, l.name, l.external_id, c.name AS campaign, a.campaign_id, a.attempt_id,
       a.attempt_number
FROM call_attempts a
JOIN leads l ON l.id = a.lead_id
JOIN campaigns c ON c.id = a.campaign_id
WHERE a.number = :number
ORDER BY a.caller_id IS NOT DISTINCT FROM :called DESC, a.created_at DESC
LIMIT 1
""")

# A lead never called yet: the newest lead with that number, in any campaign.
_NEWEST_LEAD = sa.text("""
SELECT l.id AS lead_id, l.name, l.external_id, c.name AS campaign, l.campaign_id,
       NULL::uuid AS attempt_id, NULL::integer AS attempt_number
FROM lead_phones p
JOIN leads l ON l.id = p.lead_id
JOIN campaigns c ON c.id = l.campaign_id
WHERE p.number = :number
ORDER BY l.created_at DESC, l.id DESC
LIMIT 1
""")


# The lead's phones in the campaign, locked: the claim protocol and the one-active-phone index
# are respected while the phone asked for is moved to the front.
_LEAD_PHONES = sa.text("""
SELECT s.phone_id, s.state, p.number FROM phone_schedule s JOIN lead_phones p ON p.id = s.phone_id
WHERE s.lead_id = :lead_id AND s.campaign_id = :campaign_id
FOR UPDATE OF s
""")
_SET_STATE = sa.text("""
UPDATE phone_schedule SET state = :state, next_dial_at = coalesce(:at, next_dial_at),
       updated_at = now()
WHERE phone_id = ANY(:phone_ids)
""").bindparams(
    sa.bindparam("at", type_=sa.DateTime(timezone=True)),
    sa.bindparam("phone_ids", type_=ARRAY(sa.BigInteger)),
)
_BUSY_STATES = ("leased", "dialing")


@dataclass(frozen=True, slots=True)
class InboundCall:
    """What is known when a call to a pool number arrives."""

    uniqueid: str
    called: str
    caller: str | None  # E.164; None when withheld or invalid
    caller_raw: str
    node: str
    started_at: datetime


class PgInbound:
    """Inbound calls in PostgreSQL, through a `PgStore`'s connection pool."""

    def __init__(self, store: PgStore) -> None:
        self._store = store

    async def find_caller(self, number: str, called: str) -> CallerMatch | None:
        params = {"number": number, "called": called}
        async with self._store.transaction("looking up a caller") as connection:
            row = (await connection.execute(_LAST_ATTEMPT, params)).first()
            if row is None:
                row = (await connection.execute(_NEWEST_LEAD, params)).first()
        if row is None:
            return None
        attempt_id = row.attempt_id
        return CallerMatch(
            lead_id=int(row.lead_id),
            lead_name=str(row.name),
            external_id=row.external_id,
            campaign=str(row.campaign),
            campaign_id=int(row.campaign_id),
            attempt_id=attempt_id if isinstance(attempt_id, uuid.UUID) else None,
            attempt_number=row.attempt_number,
        )

    async def record(self, call: InboundCall, match: CallerMatch | None, route: Route) -> int:
        """Store the call as it is routed; returns its id (DIALERD_INBOUND on the channel)."""
        outcome = InboundOutcome.QUEUED if route.queue is not None else InboundOutcome.MESSAGE
        row = {
            "uniqueid": call.uniqueid,
            "called": call.called,
            "caller": call.caller,
            "caller_raw": call.caller_raw,
            "lead_id": match.lead_id if match else None,
            "campaign_id": match.campaign_id if match else None,
            "attempt_id": match.attempt_id if match else None,
            "route": route.kind.value,
            "reason": route.reason,
            "queue": route.queue,
            "outcome": outcome.value,
            "node": call.node,
            "started_at": call.started_at,
        }
        insert = sa.insert(inbound_calls).values(row).returning(inbound_calls.c.id)
        async with self._store.transaction("recording an inbound call") as connection:
            return int((await connection.execute(insert)).scalar_one())

    async def finish(
        self,
        inbound_id: int,
        outcome: InboundOutcome | None,
        agent: str | None,
        ended_at: datetime | None,
    ) -> bool:
        """Set how the call ended (None: keep the outcome); False when no call has that id."""
        values: dict[str, object] = {"outcome": outcome.value} if outcome else {}
        if agent:
            values["agent"] = agent
        if ended_at is not None:
            values["ended_at"] = ended_at
        if not values:
            return True
        update = sa.update(inbound_calls).where(inbound_calls.c.id == inbound_id).values(values)
        async with self._store.transaction("recording how an inbound call ended") as connection:
            return bool((await connection.execute(update)).rowcount)

    async def schedule_callback(
        self, lead_id: int, campaign_id: int, number: str, at: datetime
    ) -> str | None:
        """Make the lead's phone with this number due at ``at``; None when done, else why not.

        Its other scheduled phone (a lead has one active at a time) waits on standby. A phone
        a do-not-call entry blocked stays blocked; the dial is still screened (lists, limits,
        calling window) like any other.
        """
        params = {"lead_id": lead_id, "campaign_id": campaign_id}
        async with self._store.transaction("scheduling a callback") as connection:
            phones = (await connection.execute(_LEAD_PHONES, params)).all()
            target = next((p for p in phones if p.number == number), None)
            if target is None:
                return "the number is not among the lead's phones in its campaign"
            if target.state == "blocked":
                return "the number is on a do-not-call list"
            if any(p.state in _BUSY_STATES for p in phones):
                return "a call to the lead is in progress"
            others = [p.phone_id for p in phones if p.state == "scheduled" and p is not target]
            if others:
                await connection.execute(
                    _SET_STATE, {"state": "standby", "at": None, "phone_ids": others}
                )
            await connection.execute(
                _SET_STATE, {"state": "scheduled", "at": at, "phone_ids": [target.phone_id]}
            )
        return None
