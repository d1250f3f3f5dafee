"""Channel switches, in the transaction that writes the outcomes (called by PgStore.record_results).

For each ineffective result of a campaign with ``retry.channel_switch``, the lead's ineffective
attempts in that campaign within the window are counted from ``call_attempts`` (this batch's
outcomes are already written, so they count). A lead that reached the rule gets one row in
``channel_switch_events`` (unique per campaign and lead: recorded once, however often it is
reached again) and its phones leave the schedule as ``switched``. The lookup uses
``ix_call_attempts_lead_id_created_at``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.channel_switch import (
    INEFFECTIVE,
    LeadTally,
    Switch,
    SwitchRules,
    is_ineffective,
    switches,
)
from dialerd.domain import AttemptResult

__all__ = ["record_switches"]

# Attempts up to (and including) each result's own, by creation time, within its campaign's
# window; attempts of campaigns with no rule drop out at the join.
TALLIES = sa.text("""
SELECT a.attempt_id, a.campaign_id, a.lead_id,
       (SELECT count(*) FROM call_attempts h
         WHERE h.lead_id = a.lead_id AND h.campaign_id = a.campaign_id
           AND h.created_at > a.created_at - make_interval(days => r.within_days)
           AND h.created_at <= a.created_at
           AND h.outcome = ANY(:ineffective)) AS ineffective
FROM call_attempts a
JOIN unnest(:rule_campaign_ids, :rule_days) AS r(campaign_id, within_days)
  ON r.campaign_id = a.campaign_id
WHERE a.attempt_id = ANY(:attempt_ids)
ORDER BY a.created_at, a.attempt_id
""").bindparams(
    sa.bindparam("attempt_ids", type_=ARRAY(UUID)),
    sa.bindparam("rule_campaign_ids", type_=ARRAY(sa.BigInteger)),
    sa.bindparam("rule_days", type_=ARRAY(sa.Integer)),
    sa.bindparam("ineffective", type_=ARRAY(sa.Text)),
)

RECORD_EVENT = sa.text("""
INSERT INTO channel_switch_events
    (campaign_id, lead_id, attempt_id, ineffective_attempts, within_days, created_at)
VALUES (:campaign_id, :lead_id, :attempt_id, :ineffective, :within_days, :now)
ON CONFLICT (campaign_id, lead_id) DO NOTHING
""")

# Done and blocked phones keep what they say; every other phone of the lead stops here.
SWITCH_PHONES = sa.text("""
UPDATE phone_schedule
SET state = 'switched', next_dial_at = NULL, leased_by = NULL, lease_until = NULL, updated_at = :now
WHERE campaign_id = :campaign_id AND lead_id = :lead_id AND state NOT IN ('done', 'blocked')
""")


async def record_switches(
    connection: AsyncConnection, results: Sequence[AttemptResult], rules: SwitchRules
) -> list[Switch]:
    """Switch every lead of ``results`` that reached its campaign's rule; returns them."""
    if not rules:
        return []
    wanted = [r for r in results if is_ineffective(r.outcome)]
    if not wanted:
        return []
    params = {
        "attempt_ids": [r.attempt_id for r in wanted],
        "rule_campaign_ids": list(rules),
        "rule_days": [rule.within_days for rule in rules.values()],
        "ineffective": sorted(o.value for o in INEFFECTIVE),
    }
    rows = await connection.execute(TALLIES, params)
    tallies = [LeadTally(**row) for row in rows.mappings()]
    found = switches(tallies, rules)
    ended = {r.attempt_id: r.ended_at for r in wanted}
    for switch in found:
        key = {"campaign_id": switch.campaign_id, "lead_id": switch.lead_id}
        now = ended[switch.attempt_id]
        await connection.execute(
            RECORD_EVENT,
            {
                **key,
                "attempt_id": switch.attempt_id,
                "ineffective": switch.ineffective,
                "within_days": switch.within_days,
                "now": now,
            },
        )
        await connection.execute(SWITCH_PHONES, {**key, "now": now})
    return found
