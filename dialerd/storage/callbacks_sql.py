"""The SQL of callback requests, and their settlement inside an outcome's transaction.

:func:`settle_outcomes` runs in ``PgStore.record_results``' transaction, like the outbox's
outcome events: a callback's attempt and whether it met its deadline commit together.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.callbacks import callback_key, callback_payload, settled_kind
from dialerd.domain import AttemptResult
from dialerd.followups import FollowupKind
from dialerd.storage.outbox_sql import enqueue

__all__ = ["enqueue_callback_event", "request_context", "settle_outcomes", "settled_events"]

LEAD_BY_NUMBER = sa.text("""
SELECT l.id FROM leads l
JOIN campaigns c ON c.id = l.campaign_id
JOIN lead_phones p ON p.lead_id = l.id
WHERE c.name = :campaign AND p.number = :number
ORDER BY l.id DESC
LIMIT 1
""")

# The phone to call back: the lead's active one if it has one (only one may be), else the
# number the customer replied from, else the first; never a blocked one.
PICK_PHONE = sa.text("""
SELECT s.phone_id, s.campaign_id FROM phone_schedule s
JOIN campaigns c ON c.id = s.campaign_id
JOIN lead_phones p ON p.id = s.phone_id
WHERE s.lead_id = :lead_id AND c.name = :campaign AND s.state <> 'blocked'
ORDER BY s.state IN ('scheduled', 'leased', 'dialing') DESC, p.number = :number DESC, p.position
LIMIT 1
FOR UPDATE OF s
""")

_COLUMNS = """r.id, r.campaign_id, r.lead_id, r.phone_id, r.source, r.requested_at, r.due_at,
    r.deadline, r.attempt_id, r.dialled_at, r.connected_at, r.outcome, r.met, r.settled_at"""

OPEN_OF_LEAD = sa.text(f"""
SELECT {_COLUMNS} FROM callback_requests r
WHERE r.lead_id = :lead_id AND r.settled_at IS NULL
ORDER BY r.id LIMIT 1
""")  # noqa: S608 - constant text, values bound

INSERT = sa.text(f"""
INSERT INTO callback_requests AS r
    (campaign_id, lead_id, phone_id, source, requested_at, due_at, deadline)
VALUES (:campaign_id, :lead_id, :phone_id, :source, :requested_at, :due_at, :deadline)
ON CONFLICT (lead_id) WHERE settled_at IS NULL DO NOTHING
RETURNING {_COLUMNS}
""")  # noqa: S608 - constant text, values bound

# What a payload says of the lead, read with the request's row.
_CONTEXT = f"""
SELECT {_COLUMNS.replace("r.", "x.")}, c.name AS campaign, l.external_id, l.name AS lead_name,
       l.time_zone, l.fields, p.number
FROM {{source}} x
JOIN campaigns c ON c.id = x.campaign_id
JOIN leads l ON l.id = x.lead_id
JOIN lead_phones p ON p.id = x.phone_id
"""  # noqa: S608 - constant text, values bound

BY_ID = sa.text(_CONTEXT.format(source="callback_requests") + " WHERE x.id = :request_id")

# The lead's phone to dial for a due request: its scheduled phone if it has one (a lead has at
# most one active phone), else the request's own phone if done or exhausted; nothing while a
# phone of the lead is leased or being dialled, nor when it is blocked.
CLAIM = sa.text("""
WITH due AS MATERIALIZED (
    SELECT s.phone_id, r.agent AS owner FROM callback_requests r
    JOIN phone_schedule s ON s.lead_id = r.lead_id
    WHERE r.campaign_id = :campaign_id AND r.settled_at IS NULL AND r.due_at <= :now
      AND (r.agent IS NULL OR r.agent = ANY(:agents))
      AND NOT EXISTS (SELECT 1 FROM phone_schedule b
                      WHERE b.lead_id = r.lead_id AND b.state IN ('leased', 'dialing'))
      AND (s.state = 'scheduled'
           OR (s.phone_id = r.phone_id AND s.state IN ('done', 'exhausted')
               AND NOT EXISTS (SELECT 1 FROM phone_schedule o
                               WHERE o.lead_id = r.lead_id AND o.state = 'scheduled')))
    ORDER BY r.due_at, r.id
    LIMIT :limit
)
UPDATE phone_schedule AS s
SET state = 'leased', leased_by = :node, lease_until = :lease_until, updated_at = :now
FROM due
WHERE s.phone_id = due.phone_id AND s.state IN ('scheduled', 'done', 'exhausted')
RETURNING s.phone_id, due.owner
""").bindparams(sa.bindparam("agents", type_=ARRAY(sa.Text)))


# A claimed request is looked at again only after a while: a dial the screening put off (the
# window closed, a limit, no caller ID) or a lease given back at shutdown is retried then,
# not at every tick.
PUT_OFF = sa.text("""
UPDATE callback_requests SET due_at = :again_at
WHERE settled_at IS NULL
  AND lead_id IN (SELECT lead_id FROM phone_schedule WHERE phone_id = ANY(:phone_ids))
""").bindparams(sa.bindparam("phone_ids", type_=ARRAY(sa.BigInteger)))

# An attempt on the lead after the request settles it: met when an agent took the call by
# the deadline.
_SETTLE_UPDATE = (
    "WITH settled AS (UPDATE callback_requests r"
    " SET attempt_id = a.attempt_id, dialled_at = a.originated_at,"
    "     connected_at = a.agent_connected_at, outcome = a.outcome, settled_at = :now,"
    "     met = coalesce(a.agent_connected_at <= r.deadline, false)"
    " FROM call_attempts a"
    " WHERE a.attempt_id = ANY(:attempt_ids) AND r.lead_id = a.lead_id"
    "   AND r.settled_at IS NULL AND a.created_at >= r.requested_at"
    " RETURNING r.*)"
)
SETTLE_OUTCOMES = sa.text("".join((_SETTLE_UPDATE, _CONTEXT.format(source="settled")))).bindparams(
    sa.bindparam("attempt_ids", type_=ARRAY(UUID(as_uuid=True)))
)

# Past the deadline and not being dialled: nobody will call in time.
_SWEEP_UPDATE = (
    "WITH settled AS (UPDATE callback_requests r"
    " SET outcome = 'not_dialled', met = false, settled_at = :now"
    " WHERE r.settled_at IS NULL AND r.deadline < :now"
    "   AND NOT EXISTS (SELECT 1 FROM phone_schedule b"
    "                   WHERE b.lead_id = r.lead_id AND b.state IN ('leased', 'dialing'))"
    " RETURNING r.*)"
)
SWEEP = sa.text("".join((_SWEEP_UPDATE, _CONTEXT.format(source="settled"))))

COUNTS = sa.text("""
SELECT c.name AS campaign, r.met, count(*) AS n FROM callback_requests r
JOIN campaigns c ON c.id = r.campaign_id
WHERE r.settled_at IS NOT NULL
GROUP BY c.name, r.met
""")


async def settle_outcomes(
    connection: AsyncConnection,
    results: Sequence[AttemptResult],
    with_events: Collection[str],
) -> None:
    """Settle the open requests these attempts answer, in the outcome's transaction."""
    if not results:
        return
    now = max(result.ended_at for result in results)
    ids = [result.attempt_id for result in results]
    found = await connection.execute(SETTLE_OUTCOMES, {"attempt_ids": ids, "now": now})
    await settled_events(connection, found.mappings().all(), now, with_events)


async def settled_events(
    connection: AsyncConnection,
    rows: Sequence[sa.RowMapping],
    now: datetime,
    with_events: Collection[str],
) -> None:
    """The met or missed event of each settled request, for campaigns with follow-ups."""
    for row in rows:
        if row["campaign"] in with_events:
            await enqueue_callback_event(connection, settled_kind(bool(row["met"])), dict(row), now)


async def request_context(connection: AsyncConnection, request_id: int) -> dict[str, Any]:
    row = (await connection.execute(BY_ID, {"request_id": request_id})).mappings().one()
    return dict(row)


async def enqueue_callback_event(
    connection: AsyncConnection, kind: FollowupKind, row: dict[str, Any], now: datetime
) -> None:
    key = callback_key(kind, row["id"])
    await enqueue(
        connection,
        key=key,
        kind=kind,
        campaign_id=row["campaign_id"],
        lead_id=row["lead_id"],
        payload=callback_payload(kind, key, row),
        now=now,
        attempt_id=row["attempt_id"],
    )
