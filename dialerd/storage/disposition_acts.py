"""What a recorded disposition does to its lead, in the disposition's own transaction.

:func:`act` runs right after the disposition's row is written (``PgDispositions.record``):

* ``close`` (sale, not_interested): the lead's phones waiting to be dialled are ``done``, and
  an open callback request of the lead is settled (outcome ``closed``);
* ``callback``: a callback request (docs/callbacks.md) due at the disposition's time, for the
  attempt's phone, owned by the agent or by anyone, with its ``callback_requested`` event for
  a campaign with follow-ups; the lead's open request is moved instead;
* ``dnc``: the attempt's number on the global do-not-call list (every campaign's next dial
  batch checks it);
* ``wrong_number``: the attempt's phone is ``blocked``, and the lead's next phone on standby
  is due at once.

A phone still ``dialing`` (the agent disposes while on the call) is left alone: the call's
outcome then sets it, and :func:`reapply_after_outcomes` (in the outcome's transaction)
applies the closing and wrong-number acts of the dispositions already recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.disposition_codes import Act, act_of
from dialerd.domain import Disposition
from dialerd.followups import FollowupKind
from dialerd.storage.callbacks_sql import enqueue_callback_event, request_context

__all__ = ["DEFAULT_CALLBACK_DEADLINE_S", "DeadlineFor", "act", "reapply_after_outcomes"]

DEFAULT_CALLBACK_DEADLINE_S = 600  # as callbacks.deadline_s's default
DeadlineFor = Callable[[str], int | None]  # a campaign's callback deadline; None: the default

_ATTEMPT = sa.text("""
SELECT a.campaign_id, c.name AS campaign, a.lead_id, a.phone_id, a.number
FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id
WHERE a.attempt_id = :attempt_id
""").bindparams(sa.bindparam("attempt_id", type_=UUID(as_uuid=True)))

_CLOSE_PHONES = sa.text("""
UPDATE phone_schedule SET state = 'done', next_dial_at = NULL, updated_at = :now
WHERE lead_id = :lead_id AND campaign_id = :campaign_id AND state IN ('scheduled', 'standby')
""")

_CLOSE_CALLBACK = sa.text("""
UPDATE callback_requests SET outcome = 'closed', met = false, settled_at = :now
WHERE lead_id = :lead_id AND settled_at IS NULL
""")

_BLOCK_PHONE = sa.text("""
UPDATE phone_schedule SET state = 'blocked', next_dial_at = NULL, updated_at = :now
WHERE phone_id = :phone_id AND state IN ('scheduled', 'standby', 'done', 'exhausted')
RETURNING phone_id
""")

# The lead's first phone on standby, unless another of its phones is active (one at a time).
_START_NEXT = sa.text("""
UPDATE phone_schedule SET state = 'scheduled', next_dial_at = :now, updated_at = :now
WHERE phone_id = (
    SELECT s.phone_id FROM phone_schedule s JOIN lead_phones p ON p.id = s.phone_id
    WHERE s.lead_id = :lead_id AND s.campaign_id = :campaign_id AND s.state = 'standby'
    ORDER BY p.position LIMIT 1)
  AND NOT EXISTS (SELECT 1 FROM phone_schedule o
                  WHERE o.lead_id = :lead_id AND o.state IN ('scheduled', 'leased', 'dialing'))
""")

_ADD_DNC = sa.text("""
INSERT INTO do_not_call (campaign_id, number, lead_id, reason)
SELECT CAST(NULL AS bigint), CAST(:number AS text), CAST(NULL AS bigint), CAST(:reason AS text)
WHERE NOT EXISTS (SELECT 1 FROM do_not_call
                  WHERE campaign_id IS NULL AND number = :number
                    AND (expires_at IS NULL OR expires_at > :now))
""")

_MOVE_CALLBACK = sa.text("""
UPDATE callback_requests SET due_at = :due_at, deadline = :deadline, agent = :agent
WHERE lead_id = :lead_id AND settled_at IS NULL
RETURNING id
""")

_BOOK_CALLBACK = sa.text("""
INSERT INTO callback_requests
    (campaign_id, lead_id, phone_id, source, requested_at, due_at, deadline, agent)
VALUES (:campaign_id, :lead_id, :phone_id, 'disposition', :now, :due_at, :deadline, :agent)
ON CONFLICT (lead_id) WHERE settled_at IS NULL DO NOTHING
RETURNING id
""")

_LATEST_OF = sa.text("""
SELECT DISTINCT ON (d.attempt_id) d.attempt_id, d.disposition
FROM dispositions d WHERE d.attempt_id = ANY(:attempt_ids)
ORDER BY d.attempt_id, d.id DESC
""").bindparams(sa.bindparam("attempt_ids", type_=ARRAY(UUID(as_uuid=True))))


async def act(
    connection: AsyncConnection,
    disposition: Disposition,
    now: datetime,
    deadline_for: DeadlineFor,
    with_events: Collection[str] = (),
) -> Act:
    """Do what the disposition's code says to its attempt's lead; returns the act done.
    ``with_events``: the campaigns whose follow-ups are configured."""
    kind = act_of(disposition)
    if kind is Act.NOTE:
        return kind
    found = await connection.execute(_ATTEMPT, {"attempt_id": disposition.attempt_id})
    attempt = found.mappings().one()
    if kind is Act.CLOSE:
        await _close(connection, attempt, now)
    elif kind is Act.WRONG_NUMBER:
        await _wrong_number(connection, attempt, now)
    elif kind is Act.DNC:
        reason = f"dnc disposition by {disposition.agent or 'an agent'} ({disposition.attempt_id})"
        await connection.execute(
            _ADD_DNC, {"number": attempt["number"], "reason": reason, "now": now}
        )
    else:
        booked = await _book_callback(connection, attempt, disposition, now, deadline_for)
        if booked is not None and attempt["campaign"] in with_events:
            context = await request_context(connection, booked)
            await enqueue_callback_event(connection, FollowupKind.CALLBACK_REQUESTED, context, now)
    return kind


async def _close(connection: AsyncConnection, attempt: sa.RowMapping, now: datetime) -> None:
    lead = {"lead_id": attempt["lead_id"], "campaign_id": attempt["campaign_id"], "now": now}
    await connection.execute(_CLOSE_PHONES, lead)
    await connection.execute(_CLOSE_CALLBACK, lead)


async def _wrong_number(connection: AsyncConnection, attempt: sa.RowMapping, now: datetime) -> None:
    blocked = await connection.execute(_BLOCK_PHONE, {"phone_id": attempt["phone_id"], "now": now})
    if blocked.first() is None:  # still being dialled: the outcome's transaction does it
        return
    lead = {"lead_id": attempt["lead_id"], "campaign_id": attempt["campaign_id"], "now": now}
    await connection.execute(_START_NEXT, lead)


async def _book_callback(
    connection: AsyncConnection,
    attempt: sa.RowMapping,
    disposition: Disposition,
    now: datetime,
    deadline_for: DeadlineFor,
) -> int | None:
    """The new request's id; None when the lead's open one was moved instead."""
    assert disposition.callback_at is not None  # act_of says CALLBACK only with a time
    due_at = disposition.callback_at
    deadline_s = deadline_for(attempt["campaign"]) or DEFAULT_CALLBACK_DEADLINE_S
    row = {
        "campaign_id": attempt["campaign_id"],
        "lead_id": attempt["lead_id"],
        "phone_id": attempt["phone_id"],
        "now": now,
        "due_at": due_at,
        "deadline": max(due_at, now) + timedelta(seconds=deadline_s),
        "agent": disposition.agent if disposition.owned else None,
    }
    moved = await connection.execute(_MOVE_CALLBACK, row)
    if moved.first() is not None:
        return None
    booked: int | None = (await connection.execute(_BOOK_CALLBACK, row)).scalar_one_or_none()
    return booked


async def reapply_after_outcomes(
    connection: AsyncConnection, attempt_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """The closing and wrong-number acts of dispositions recorded while these attempts' calls
    were still up: their outcomes have just set the phones, now the acts apply."""
    if not attempt_ids:
        return
    rows = await connection.execute(_LATEST_OF, {"attempt_ids": list(attempt_ids)})
    for row in rows.all():
        code = Disposition(row.attempt_id, row.disposition, None, "", "ami")
        kind = act_of(code)
        if kind not in (Act.CLOSE, Act.WRONG_NUMBER):
            continue
        attempt = (await connection.execute(_ATTEMPT, {"attempt_id": row.attempt_id})).mappings()
        found = attempt.one()
        if kind is Act.CLOSE:
            await _close(connection, found, now)
        else:
            await _wrong_number(connection, found, now)
