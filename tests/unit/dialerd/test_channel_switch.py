"""The channel-switch rule: which outcomes are ineffective, when a lead has reached it."""

from __future__ import annotations

import uuid

import pytest

from dialerd.channel_switch import LeadTally, Switch, is_ineffective, switches
from dialerd.config import ChannelSwitchSettings
from dialerd.domain import Outcome

RULES = {1: ChannelSwitchSettings(after_ineffective=3, within_days=60)}
A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


@pytest.mark.parametrize(
    ("outcome", "ineffective"),
    [
        (Outcome.NO_ANSWER, True),
        (Outcome.BUSY, True),
        (Outcome.MACHINE, True),
        (Outcome.ABANDONED, True),
        (Outcome.CONGESTION, True),
        (Outcome.FAILED, True),
        (Outcome.CONNECTED, False),
        (Outcome.CANCELLED, False),
        (Outcome.UNKNOWN, False),
    ],
)
def test_ineffective_means_nobody_was_reached(outcome: Outcome, ineffective: bool) -> None:
    assert is_ineffective(outcome) is ineffective


def test_a_lead_switches_at_the_rule_and_above_it_once() -> None:
    tallies = [
        LeadTally(A, campaign_id=1, lead_id=10, ineffective=2),
        LeadTally(B, campaign_id=1, lead_id=11, ineffective=3),
        LeadTally(C, campaign_id=1, lead_id=11, ineffective=4),
    ]
    assert switches(tallies, RULES) == [Switch(B, 1, 11, 3, 60)]


def test_campaigns_without_a_rule_never_switch() -> None:
    assert switches([LeadTally(A, campaign_id=2, lead_id=10, ineffective=99)], RULES) == []
