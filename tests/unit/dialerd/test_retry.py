from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialerd.config import RetryRule, RetrySettings
from dialerd.domain import DuePhone, NextDial, Outcome, PhoneState, PhoneType
from dialerd.retry import plan_next

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RULES = RetrySettings(
    busy=RetryRule(delay_s=600, max_attempts=3),
    no_answer=RetryRule(delay_s=3600, max_attempts=5, next_phone=True),
    max_attempts_per_phone=4,
    max_attempts_per_lead=6,
)


def phone(attempts: int = 0, lead_attempts: int = 0, next_phone_id: int | None = 2) -> DuePhone:
    return DuePhone(
        phone_id=1,
        lead_id=10,
        campaign_id=1,
        number="+447700900001",
        phone_type=PhoneType.MOBILE,
        lead_name="",
        time_zone=None,
        attempts=attempts,
        lead_attempts=lead_attempts,
        next_phone_id=next_phone_id,
        lease_until=NOW,
    )


def test_connected_ends_the_lead() -> None:
    assert plan_next(phone(), Outcome.CONNECTED, RULES, NOW) == [NextDial(1, PhoneState.DONE, None)]


def test_busy_retries_the_same_phone_after_its_delay() -> None:
    assert plan_next(phone(), Outcome.BUSY, RULES, NOW) == [
        NextDial(1, PhoneState.SCHEDULED, NOW + timedelta(seconds=600))
    ]


def test_no_answer_moves_to_the_next_phone_and_parks_this_one() -> None:
    assert plan_next(phone(), Outcome.NO_ANSWER, RULES, NOW) == [
        NextDial(1, PhoneState.STANDBY, None),
        NextDial(2, PhoneState.SCHEDULED, NOW + timedelta(hours=1)),
    ]


def test_no_next_phone_retries_the_same_one() -> None:
    plan = plan_next(phone(next_phone_id=None), Outcome.NO_ANSWER, RULES, NOW)
    assert plan == [NextDial(1, PhoneState.SCHEDULED, NOW + timedelta(hours=1))]


def test_outcome_cap_exhausts_the_phone_and_activates_the_next() -> None:
    plan = plan_next(phone(attempts=2), Outcome.BUSY, RULES, NOW)
    assert plan == [
        NextDial(1, PhoneState.EXHAUSTED, None),
        NextDial(2, PhoneState.SCHEDULED, NOW + timedelta(seconds=600)),
    ]


def test_phone_cap_applies_when_the_outcome_cap_is_higher() -> None:
    plan = plan_next(phone(attempts=3, next_phone_id=None), Outcome.NO_ANSWER, RULES, NOW)
    assert plan == [NextDial(1, PhoneState.EXHAUSTED, None)]


def test_lead_cap_stops_the_lead() -> None:
    plan = plan_next(phone(attempts=0, lead_attempts=5), Outcome.BUSY, RULES, NOW)
    assert plan == [NextDial(1, PhoneState.EXHAUSTED, None)]
