"""The follow-up outbox's SQL: events written with the outcome, claimed and settled by a sender.

:func:`enqueue_outcome_events` runs inside ``PgStore.record_results``' transaction, so an outcome
and the events it calls for are committed together or not at all. :func:`enqueue` is the one
way any event enters the outbox (a channel switch, a callback: just another kind).

How two nodes never send an event at once: :data:`CLAIM` locks due rows ``FOR UPDATE SKIP
LOCKED`` and pushes their ``next_try_at`` past the request's timeout (a lease), in one
statement; the node then posts outside any transaction. A node that dies mid-send leaves the
lease to expire, and the event is sent again with the same idempotency key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.channel_switch import Switch
from dialerd.domain import AttemptResult, NextDial
from dialerd.followups import (
    FollowupKind,
    FollowupRules,
    OutboxEvent,
    attempt_payload,
    event_key,
    is_last_attempt,
    kinds_for,
    new_promo_code,
)
from dialerd.storage.errors import StorageError

__all__ = [
    "claim_due",
    "enqueue",
    "enqueue_outcome_events",
    "enqueue_switch_events",
    "mark_failed",
    "mark_sent",
]

# What a payload says of the attempt besides its result: read once per batch, only for
# campaigns that have follow-ups.
ATTEMPT_CONTEXT = sa.text("""
SELECT a.attempt_id, a.campaign_id, c.name AS campaign, a.lead_id, a.number, a.attempt_number,
       l.external_id, l.name AS lead_name, l.time_zone, l.fields
FROM call_attempts a
JOIN campaigns c ON c.id = a.campaign_id
JOIN leads l ON l.id = a.lead_id
WHERE a.attempt_id = ANY(:attempt_ids) AND c.name = ANY(:campaigns)
""").bindparams(
    sa.bindparam("attempt_ids", type_=ARRAY(UUID(as_uuid=True))),
    sa.bindparam("campaigns", type_=ARRAY(sa.Text)),
)

INSERT_EVENT = sa.text("""
INSERT INTO followup_events
    (idempotency_key, campaign_id, lead_id, attempt_id, kind, payload, next_try_at)
VALUES (:key, :campaign_id, :lead_id, :attempt_id, :kind, CAST(:payload AS jsonb), :now)
ON CONFLICT (idempotency_key) DO NOTHING
""")

# ON CONFLICT without a target: the lead already has a code, or (never expected) another
# customer drew the same one; the caller reads back which.
INSERT_PROMO = sa.text("""
INSERT INTO promo_codes (lead_id, code) VALUES (:lead_id, :code) ON CONFLICT DO NOTHING
""")
PROMO_OF_LEAD = sa.text("SELECT code FROM promo_codes WHERE lead_id = :lead_id")

CLAIM = sa.text("""
UPDATE followup_events e
SET next_try_at = :lease_until, tries = e.tries + 1
FROM campaigns c
WHERE c.id = e.campaign_id
  AND e.id IN (
    SELECT f.id FROM followup_events f
    JOIN campaigns fc ON fc.id = f.campaign_id
    WHERE f.state = 'pending' AND f.next_try_at <= :now AND fc.name = ANY(:campaigns)
    ORDER BY f.next_try_at
    LIMIT :limit
    FOR UPDATE OF f SKIP LOCKED)
RETURNING e.id, e.idempotency_key, e.kind, c.name AS campaign, e.payload::text AS body, e.tries
""").bindparams(sa.bindparam("campaigns", type_=ARRAY(sa.Text)))

MARK_SENT = sa.text("""
UPDATE followup_events SET state = 'sent', sent_at = :now, last_error = NULL
WHERE id = :event_id AND state = 'pending'
""")

MARK_FAILED = sa.text("""
UPDATE followup_events
SET state = CASE WHEN :dead THEN 'dead' ELSE 'pending' END,
    next_try_at = :next_try_at, last_error = :error
WHERE id = :event_id AND state = 'pending'
""")

PROMO_TRIES = 5


async def enqueue(
    connection: AsyncConnection,
    *,
    key: str,
    kind: FollowupKind,
    campaign_id: int,
    lead_id: int,
    payload: Mapping[str, Any],
    now: datetime,
    attempt_id: uuid.UUID | None = None,
) -> None:
    """Add one event to the outbox in the caller's transaction; a key already there is kept."""
    row = _event_row(
        key,
        kind,
        campaign_id=campaign_id,
        lead_id=lead_id,
        payload=payload,
        now=now,
        attempt_id=attempt_id,
    )
    await connection.execute(INSERT_EVENT, row)


def _event_row(
    key: str,
    kind: FollowupKind,
    *,
    campaign_id: int,
    lead_id: int,
    payload: Mapping[str, Any],
    now: datetime,
    attempt_id: uuid.UUID | None,
) -> dict[str, object]:
    return {
        "key": key,
        "campaign_id": campaign_id,
        "lead_id": lead_id,
        "attempt_id": attempt_id,
        "kind": kind.value,
        "payload": json.dumps(payload, sort_keys=True),
        "now": now,
    }


async def enqueue_outcome_events(
    connection: AsyncConnection,
    results: Sequence[AttemptResult],
    next_dials: Mapping[uuid.UUID, Sequence[NextDial]],
    rules: Mapping[str, FollowupRules],
    promo_code: Callable[[], str] = new_promo_code,
) -> None:
    """The events these outcomes call for under their campaigns' rules (by campaign name)."""
    if not rules or not results:
        return
    context = await _attempt_context(connection, [r.attempt_id for r in results], rules)
    events: list[dict[str, object]] = []
    for result in results:
        attempt = context.get(result.attempt_id)
        if attempt is None:
            continue
        dials = next_dials[result.attempt_id]
        for kind in kinds_for(rules[attempt["campaign"]], result, dials):
            key = event_key(kind, result.attempt_id)
            payload = attempt_payload(kind, key, attempt, result, is_last_attempt(dials))
            if kind is FollowupKind.DROPPED_CALL:
                payload["promo_code"] = await promo_code_of(
                    connection, attempt["lead_id"], promo_code
                )
            row = _event_row(
                key,
                kind,
                campaign_id=attempt["campaign_id"],
                lead_id=attempt["lead_id"],
                payload=payload,
                now=result.ended_at,
                attempt_id=result.attempt_id,
            )
            events.append(row)
    if events:
        await connection.execute(INSERT_EVENT, events)  # one round trip for the batch


async def enqueue_switch_events(
    connection: AsyncConnection,
    found: Sequence[Switch],
    results: Sequence[AttemptResult],
    rules: Mapping[str, FollowupRules],
) -> None:
    """A ``channel_switch`` event for each lead that switched now, if its campaign wants them:
    the cue for the SMS / Viber / e-mail gateway to take over from the phone."""
    if not found or not rules:
        return
    context = await _attempt_context(connection, [s.attempt_id for s in found], rules)
    by_attempt = {r.attempt_id: r for r in results}
    kind = FollowupKind.CHANNEL_SWITCH
    events = []
    for switch in found:
        attempt = context.get(switch.attempt_id)
        if attempt is None or kind not in rules[attempt["campaign"]].kinds:
            continue
        result = by_attempt[switch.attempt_id]
        key = event_key(kind, switch.attempt_id)
        payload = attempt_payload(kind, key, attempt, result, last=True)
        payload["channel_switch"] = {
            "ineffective_attempts": switch.ineffective,
            "within_days": switch.within_days,
        }
        events.append(
            _event_row(
                key,
                kind,
                campaign_id=switch.campaign_id,
                lead_id=switch.lead_id,
                payload=payload,
                now=result.ended_at,
                attempt_id=switch.attempt_id,
            )
        )
    if events:
        await connection.execute(INSERT_EVENT, events)


async def _attempt_context(
    connection: AsyncConnection, attempt_ids: list[uuid.UUID], rules: Mapping[str, FollowupRules]
) -> dict[uuid.UUID, dict[str, Any]]:
    """What a payload says of each attempt, for campaigns that have follow-ups, by id."""
    params = {"attempt_ids": attempt_ids, "campaigns": list(rules)}
    rows = await connection.execute(ATTEMPT_CONTEXT, params)
    return {row["attempt_id"]: dict(row) for row in rows.mappings()}


async def promo_code_of(
    connection: AsyncConnection, lead_id: int, promo_code: Callable[[], str] = new_promo_code
) -> str:
    """The customer's promo code, made (unique across customers) the first time it is needed."""
    for _ in range(PROMO_TRIES):
        await connection.execute(INSERT_PROMO, {"lead_id": lead_id, "code": promo_code()})
        code = (await connection.execute(PROMO_OF_LEAD, {"lead_id": lead_id})).scalar_one_or_none()
        if code is not None:
            return str(code)
    raise StorageError(f"no unique promo code for lead {lead_id} in {PROMO_TRIES} draws")


async def claim_due(
    connection: AsyncConnection,
    campaigns: Sequence[str],
    limit: int,
    now: datetime,
    lease_until: datetime,
) -> list[OutboxEvent]:
    """Lease up to ``limit`` due events of ``campaigns`` to the caller until ``lease_until``."""
    params = {
        "campaigns": list(campaigns),
        "limit": limit,
        "now": now,
        "lease_until": lease_until,
    }
    rows = await connection.execute(CLAIM, params)
    return [
        OutboxEvent(
            event_id=row["id"],
            key=row["idempotency_key"],
            kind=row["kind"],
            campaign=row["campaign"],
            body=row["body"].encode(),
            tries=row["tries"],
        )
        for row in rows.mappings()
    ]


async def mark_sent(connection: AsyncConnection, event_id: int, now: datetime) -> None:
    await connection.execute(MARK_SENT, {"event_id": event_id, "now": now})


async def mark_failed(
    connection: AsyncConnection, event_id: int, error: str, next_try_at: datetime, *, dead: bool
) -> None:
    params = {"event_id": event_id, "error": error, "next_try_at": next_try_at, "dead": dead}
    await connection.execute(MARK_FAILED, params)
