"""What happens to a lead's phones after an attempt: the campaign's retry rules, pure.

Per outcome: a delay, a cap of attempts on the phone, and whether to move on to the
lead's next phone. Across outcomes: caps per phone and per lead. A connected call ends
the lead's dialing. Only one phone of a lead is ever scheduled at once; the others wait
on standby, so the same person is never called on two numbers at the same time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialerd.config import RetryRule, RetrySettings
from dialerd.domain import DuePhone, NextDial, Outcome, PhoneState


def rule_for(rules: RetrySettings, outcome: Outcome) -> RetryRule:
    rule: RetryRule = getattr(rules, outcome.value)
    return rule


def plan_next(
    phone: DuePhone, outcome: Outcome, rules: RetrySettings, now: datetime
) -> list[NextDial]:
    """The schedule changes for `phone` (and possibly the lead's next phone)."""
    if outcome is Outcome.CONNECTED:
        return [NextDial(phone.phone_id, PhoneState.DONE, None)]
    if phone.lead_attempts + 1 >= rules.max_attempts_per_lead:
        return [NextDial(phone.phone_id, PhoneState.EXHAUSTED, None)]
    rule = rule_for(rules, outcome)
    later = now + timedelta(seconds=rule.delay_s)
    cap = min(rule.max_attempts or rules.max_attempts_per_phone, rules.max_attempts_per_phone)
    following = phone.next_phone_id
    if phone.attempts + 1 >= cap:
        exhausted = NextDial(phone.phone_id, PhoneState.EXHAUSTED, None)
        if following is None:
            return [exhausted]
        return [exhausted, NextDial(following, PhoneState.SCHEDULED, later)]
    if rule.next_phone and following is not None:
        return [
            NextDial(phone.phone_id, PhoneState.STANDBY, None),
            NextDial(following, PhoneState.SCHEDULED, later),
        ]
    return [NextDial(phone.phone_id, PhoneState.SCHEDULED, later)]
