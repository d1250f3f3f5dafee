"""What the attempt limits read from ``call_attempts``: the batch's histories, and the re-check
made under the number's lock in the attempt's own transaction.

Counts are over every campaign: scope ``number`` means the person behind the number, whoever
dials them. ``ix_call_attempts_number_created_at`` (revision 0004) serves the number lookups;
the lead and phone lookups use the existing ``…_lead_id_created_at`` and ``…_phone_id_created_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.domain import DuePhone, NewAttempt
from dialerd.limits import AttemptHistory, Deferral, Limits, Scope, check

__all__ = ["histories", "recheck_number"]

# One row per phone of the batch. Times within the lookback only, newest first, as many as
# the largest cap needs (a number dialled all day long still returns a handful of values).
HISTORIES = sa.text("""
SELECT b.phone_id,
       (SELECT count(*) FROM call_attempts a WHERE a.phone_id = b.phone_id) AS phone_attempts,
       (SELECT count(*) FROM call_attempts a WHERE a.lead_id = b.lead_id) AS lead_attempts,
       ARRAY(SELECT a.created_at FROM call_attempts a
              WHERE a.number = b.number AND a.created_at > :number_since
              ORDER BY a.created_at DESC LIMIT :number_calls) AS number_times,
       ARRAY(SELECT a.created_at FROM call_attempts a
              WHERE a.lead_id = b.lead_id AND a.created_at > :lead_since
              ORDER BY a.created_at DESC LIMIT :lead_calls) AS lead_times,
       (SELECT max(a.ended_at) FROM call_attempts a
         WHERE a.lead_id = b.lead_id AND a.outcome = 'connected') AS last_conversation_end,
       (SELECT max(a.ended_at) FROM call_attempts a
         WHERE a.number = b.number AND a.outcome = 'abandoned') AS last_abandoned_end
FROM unnest(:phone_ids, :lead_ids, :numbers) AS b(phone_id, lead_id, number)
""").bindparams(
    sa.bindparam("phone_ids", type_=ARRAY(sa.BigInteger)),
    sa.bindparam("lead_ids", type_=ARRAY(sa.BigInteger)),
    sa.bindparam("numbers", type_=ARRAY(sa.Text)),
)

# Held until the attempt's transaction ends: a second node dialling the same number waits here,
# then counts with the first node's attempt committed. hashtext collisions only serialise two
# unrelated numbers' writes for a moment.
LOCK_NUMBER = sa.text("SELECT pg_advisory_xact_lock(hashtext(:number))")

NUMBER_HISTORY = sa.text("""
SELECT ARRAY(SELECT a.created_at FROM call_attempts a
              WHERE a.number = :number AND a.created_at > :since
              ORDER BY a.created_at DESC LIMIT :calls) AS number_times,
       (SELECT max(a.ended_at) FROM call_attempts a
         WHERE a.number = :number AND a.outcome = 'abandoned') AS last_abandoned_end
""")


async def histories(
    connection: AsyncConnection, phones: Sequence[DuePhone], limits: Limits, now: datetime
) -> list[AttemptHistory]:
    number_span, number_calls = limits.lookback(Scope.NUMBER)
    lead_span, lead_calls = limits.lookback(Scope.LEAD)
    params = {
        "phone_ids": [p.phone_id for p in phones],
        "lead_ids": [p.lead_id for p in phones],
        "numbers": [p.number for p in phones],
        "number_since": now - number_span,
        "number_calls": number_calls,
        "lead_since": now - lead_span,
        "lead_calls": lead_calls,
    }
    rows = await connection.execute(HISTORIES, params)
    return [_history(row) for row in rows.mappings()]


async def recheck_number(
    connection: AsyncConnection, attempt: NewAttempt, limits: Limits
) -> Deferral | None:
    """Lock the number for this transaction and check its limits with what is committed now."""
    scoped = limits.number_scoped()
    if not scoped.any:
        return None
    await connection.execute(LOCK_NUMBER, {"number": attempt.number})
    span, calls = scoped.lookback(Scope.NUMBER)
    params = {"number": attempt.number, "since": attempt.created_at - span, "calls": calls}
    row = (await connection.execute(NUMBER_HISTORY, params)).mappings().one()
    history = AttemptHistory(
        phone_id=attempt.phone_id,
        number_times=tuple(row["number_times"]),
        last_abandoned_end=row["last_abandoned_end"],
    )
    return check(scoped, history, attempt.created_at)


def _history(row: sa.RowMapping) -> AttemptHistory:
    return AttemptHistory(
        phone_id=row["phone_id"],
        phone_attempts=row["phone_attempts"],
        lead_attempts=row["lead_attempts"],
        number_times=tuple(row["number_times"]),
        lead_times=tuple(row["lead_times"]),
        last_conversation_end=row["last_conversation_end"],
        last_abandoned_end=row["last_abandoned_end"],
    )
