"""The statements behind do-not-call checks and blocks, kept together to be read as SQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

__all__ = ["ACTIVE_MATCHES", "BLOCK_PHONE", "RECORD_BLOCK", "START_NEXT_PHONE"]

# One query per dial batch: the entries (global, or this campaign's) naming a claimed phone's
# number or its lead, not expired. A phone named by several gets the oldest entry.
ACTIVE_MATCHES = sa.text("""
SELECT DISTINCT ON (p.phone_id)
       p.phone_id, d.id AS entry_id, d.lead_id IS NOT NULL AS by_lead,
       concat_ws(': ',
           CASE WHEN d.lead_id IS NOT NULL THEN 'lead ' || d.lead_id ELSE 'number ' || d.number END
             || CASE WHEN d.campaign_id IS NULL THEN ' on the global do-not-call list'
                     ELSE ' on the campaign''s do-not-call list' END,
           nullif(d.reason, '')) AS reason
FROM unnest(:phone_ids, :numbers, :lead_ids) AS p(phone_id, number, lead_id)
JOIN do_not_call AS d ON d.number = p.number OR d.lead_id = p.lead_id
WHERE (d.campaign_id IS NULL OR d.campaign_id = :campaign_id)
  AND (d.expires_at IS NULL OR d.expires_at > :now)
ORDER BY p.phone_id, d.id
""").bindparams(
    sa.bindparam("phone_ids", type_=ARRAY(sa.BigInteger)),
    sa.bindparam("numbers", type_=ARRAY(sa.Text)),
    sa.bindparam("lead_ids", type_=ARRAY(sa.BigInteger)),
)

# Only a phone this node still holds: a lease lost meanwhile belongs to someone else now.
BLOCK_PHONE = sa.text("""
UPDATE phone_schedule
SET state = 'blocked', next_dial_at = NULL, leased_by = NULL, lease_until = NULL, updated_at = :now
WHERE phone_id = :phone_id AND state = 'leased' AND leased_by = :node
RETURNING phone_id
""")

RECORD_BLOCK = sa.text("""
INSERT INTO blocked_dials (campaign_id, lead_id, phone_id, number, entry_id, reason, node,
                           blocked_at)
VALUES (:campaign_id, :lead_id, :phone_id, :number, :entry_id, :reason, :node, :now)
""")

# A blocked number does not stop the lead: its next phone on standby is due at once.
START_NEXT_PHONE = sa.text("""
UPDATE phone_schedule SET state = 'scheduled', next_dial_at = :now, updated_at = :now
WHERE phone_id = :next_phone_id AND state = 'standby'
""")
