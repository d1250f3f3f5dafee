"""When a lead stops being called and goes to another channel (SMS, e-mail, a letter): pure.

A campaign's ``retry.channel_switch`` says after how many ineffective attempts within how
many days. An attempt is ineffective when it reached nobody: no answer, busy, an answering
machine, a call abandoned for want of an agent, congestion or a failure. Cancelled and
unknown ends say nothing about the customer and do not count. The count is taken from the
attempts stored in PostgreSQL when each outcome is written (dialerd.storage.switch_sql), so
it holds across restarts and nodes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dialerd.config import ChannelSwitchSettings
from dialerd.domain import Outcome

INEFFECTIVE = frozenset(
    {
        Outcome.NO_ANSWER,
        Outcome.BUSY,
        Outcome.MACHINE,
        Outcome.ABANDONED,
        Outcome.CONGESTION,
        Outcome.FAILED,
    }
)

SwitchRules = Mapping[int, ChannelSwitchSettings]  # by campaign id


@dataclass(frozen=True, slots=True)
class LeadTally:
    """The ineffective attempts of an attempt's lead in its campaign, up to that attempt."""

    attempt_id: uuid.UUID
    campaign_id: int
    lead_id: int
    ineffective: int


@dataclass(frozen=True, slots=True)
class Switch:
    """A lead that reached its campaign's rule: what the event row records."""

    attempt_id: uuid.UUID
    campaign_id: int
    lead_id: int
    ineffective: int
    within_days: int


def is_ineffective(outcome: Outcome) -> bool:
    return outcome in INEFFECTIVE


def switches(tallies: Iterable[LeadTally], rules: SwitchRules) -> list[Switch]:
    """The tallies that reached their campaign's rule, one per lead (the first one).

    'Reached' is at least N, not exactly N: a result written while the rule was off, or
    replayed from the journal before the rule was known, is caught by the next attempt.
    """
    found: dict[tuple[int, int], Switch] = {}
    for tally in tallies:
        rule = rules.get(tally.campaign_id)
        key = (tally.campaign_id, tally.lead_id)
        if rule is None or key in found or tally.ineffective < rule.after_ineffective:
            continue
        found[key] = Switch(
            tally.attempt_id, tally.campaign_id, tally.lead_id, tally.ineffective, rule.within_days
        )
    return list(found.values())
