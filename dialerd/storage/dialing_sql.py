"""The statements behind PgStore's claim and outcome paths, kept together to be read as SQL.

Values always travel as bound parameters, never formatted into the text.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from dialerd.storage.tables import call_attempts, phone_schedule

__all__ = [
    "APPLY_NEXT_DIAL",
    "CLAIM_DUE",
    "DUE_DETAILS",
    "END_ATTEMPT",
    "LOCK_OPEN_ATTEMPTS",
    "RECLAIM_EXPIRED",
]

_LEASE = """
WITH due AS MATERIALIZED (
    SELECT phone_id FROM phone_schedule
    WHERE campaign_id = :campaign_id AND {condition}
    ORDER BY next_dial_at, phone_id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE phone_schedule AS s
SET state = 'leased', leased_by = :node, lease_until = :lease_until, updated_at = :now
FROM due
WHERE s.phone_id = due.phone_id
RETURNING s.phone_id
"""

# A lease whose holder did not dial before it ran out: that node is presumed dead.
RECLAIM_EXPIRED = sa.text(_LEASE.format(condition="state = 'leased' AND lease_until < :now"))

CLAIM_DUE = sa.text(_LEASE.format(condition="state = 'scheduled' AND next_dial_at <= :now"))

# next_phone_id: the first standby phone after this one by position, wrapping round to the start.
DUE_DETAILS = sa.text("""
SELECT s.phone_id, s.lead_id, s.campaign_id, s.attempts, s.lease_until,
       p.number, p.phone_type, l.name AS lead_name, l.time_zone,
       l.call_window_start, l.call_window_end, l.fields, l.external_id,
       (SELECT count(*) FROM call_attempts AS a WHERE a.lead_id = s.lead_id) AS lead_attempts,
       (SELECT n.id
          FROM lead_phones AS n JOIN phone_schedule AS ns ON ns.phone_id = n.id
         WHERE n.lead_id = s.lead_id AND n.id <> s.phone_id AND ns.state = 'standby'
         ORDER BY n.position <= p.position, n.position, n.id
         LIMIT 1) AS next_phone_id
FROM phone_schedule AS s
JOIN lead_phones AS p ON p.id = s.phone_id
JOIN leads AS l ON l.id = s.lead_id
WHERE s.phone_id = ANY(:phone_ids)
ORDER BY s.next_dial_at, s.phone_id
""").bindparams(sa.bindparam("phone_ids", type_=ARRAY(sa.BigInteger)))

# Ordered, so two batches touching the same attempts lock them in the same order (no deadlock).
LOCK_OPEN_ATTEMPTS = (
    sa.select(call_attempts.c.attempt_id, call_attempts.c.phone_id)
    .where(
        call_attempts.c.attempt_id == sa.any_(sa.bindparam("attempt_ids", type_=ARRAY(UUID))),
        call_attempts.c.ended_at.is_(None),
    )
    .order_by(call_attempts.c.attempt_id)
    .with_for_update()
)

END_ATTEMPT = (
    sa.update(call_attempts)
    .where(
        call_attempts.c.attempt_id == sa.bindparam("b_attempt_id"),
        call_attempts.c.ended_at.is_(None),
    )
    .values(
        {
            name: sa.bindparam(name)
            for name in (
                "outcome",
                "ended_at",
                "ast_reason",
                "hangup_cause",
                "agent",
                "hold_s",
                "talk_s",
                "amd_status",
                "amd_cause",
                "amd_ms",
                "amd_action",
            )
        }
        | {
            # Facts the tracker may not have seen stay as already recorded.
            name: sa.func.coalesce(
                sa.bindparam(name, type_=sa.DateTime(timezone=True)), call_attempts.c[name]
            )
            for name in ("originated_at", "answered_at", "agent_connected_at")
        }
    )
)

APPLY_NEXT_DIAL = (
    sa.update(phone_schedule)
    .where(phone_schedule.c.phone_id == sa.bindparam("b_phone_id"))
    .values(
        state=sa.bindparam("state"),
        next_dial_at=sa.bindparam("next_dial_at"),
        attempts=phone_schedule.c.attempts + sa.bindparam("increment", type_=sa.Integer),
        last_outcome=sa.func.coalesce(
            sa.bindparam("outcome", type_=sa.Text), phone_schedule.c.last_outcome
        ),
        leased_by=None,
        lease_until=None,
        updated_at=sa.bindparam("now"),
    )
)
