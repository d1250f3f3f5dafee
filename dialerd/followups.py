"""Follow-up events: what an attempt's outcome calls for, and how a webhook is signed.

Pure functions over domain values, so the rules are tested without a database or a clock.
The storage adapter (dialerd.storage.outbox_sql) writes what :func:`kinds_for` says in the
transaction that records the outcome; the sender (dialerd.webhooks) posts what it wrote.
Every payload is documented in docs/followups.md.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dialerd.domain import AttemptResult, NextDial, Outcome, PhoneState

SIGNATURE_HEADER = "X-Dialerd-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Dialerd-Event"
# No 0/O, 1/I/L: the customer reads the code out or types it from an SMS.
PROMO_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PROMO_LENGTH = 10  # 31^10 ≈ 8e14 codes: a collision is retried, never expected


class FollowupKind(enum.StrEnum):
    """The kinds of follow-up event; stored as text, a public interface (docs/followups.md)."""

    MISSED_CALL = "missed_call"
    DROPPED_CALL = "dropped_call"
    CHANNEL_SWITCH = "channel_switch"
    CALLBACK_REQUESTED = "callback_requested"
    CALLBACK_DEADLINE_MET = "callback_deadline_met"
    CALLBACK_MISSED = "callback_missed"
    CALL_CONNECTED = "call_connected"  # an agent answered (dialerd.screen_pop)


class MissedCallMode(enum.StrEnum):
    EACH_ATTEMPT = "each_attempt"  # every unanswered attempt
    LAST_ATTEMPT = "last_attempt"  # only when the retry rules dial the lead no more


class EventState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # every try failed: left for an operator (docs/followups.md)


@dataclass(frozen=True, slots=True)
class FollowupRules:
    """A campaign's choice of events, from its YAML (dialerd.followup_settings)."""

    kinds: frozenset[FollowupKind]
    missed_call_mode: MissedCallMode = MissedCallMode.EACH_ATTEMPT
    missed_call_outcomes: frozenset[str] = frozenset({"no_answer", "busy"})


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """An event claimed for delivery: its body is sent exactly as stored."""

    event_id: int
    key: str  # the idempotency key, equal at every try and on every node
    kind: str
    campaign: str
    body: bytes
    tries: int  # including the one this claim starts


def kinds_for(
    rules: FollowupRules, result: AttemptResult, next_dials: Sequence[NextDial]
) -> list[FollowupKind]:
    """The events an attempt's outcome calls for under a campaign's rules."""
    kinds = []
    if FollowupKind.DROPPED_CALL in rules.kinds and result.outcome is Outcome.ABANDONED:
        kinds.append(FollowupKind.DROPPED_CALL)
    if FollowupKind.MISSED_CALL in rules.kinds and result.outcome in rules.missed_call_outcomes:
        each = rules.missed_call_mode is MissedCallMode.EACH_ATTEMPT
        if each or is_last_attempt(next_dials):
            kinds.append(FollowupKind.MISSED_CALL)
    return kinds


def is_last_attempt(next_dials: Sequence[NextDial]) -> bool:
    """No phone of the lead is to be dialled again (this one or the lead's next one)."""
    return not any(d.state is PhoneState.SCHEDULED for d in next_dials)


def event_key(kind: FollowupKind, attempt_id: uuid.UUID) -> str:
    """One key per attempt and kind: a replayed outcome finds its event already written."""
    return f"{kind.value}:{attempt_id}"


def new_promo_code(choice: Any = secrets.choice) -> str:
    """A code nobody can guess from another customer's (``secrets``, not ``random``)."""
    return "".join(choice(PROMO_ALPHABET) for _ in range(PROMO_LENGTH))


def attempt_payload(
    kind: FollowupKind, key: str, context: dict[str, Any], result: AttemptResult, last: bool
) -> dict[str, Any]:
    """The JSON body of an outcome's event; ``context`` is the attempt's row in storage."""
    return {
        "event": kind.value,
        "id": key,
        "campaign": context["campaign"],
        "lead": {
            "id": context["lead_id"],
            "external_id": context["external_id"],
            "name": context["lead_name"],
            "time_zone": context["time_zone"],
            "fields": context["fields"],
        },
        "number": context["number"],
        "attempt": {
            "id": str(result.attempt_id),
            "number": context["attempt_number"],
            "outcome": result.outcome.value,
            "ended_at": result.ended_at.isoformat(),
            "last": last,
        },
        "occurred_at": result.ended_at.isoformat(),
    }


def signature(key: bytes, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the HMAC-SHA256 of the body in hex."""
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def retry_delay_s(
    tries: int, backoff_s: float, max_backoff_s: float, rand: random.Random | None = None
) -> float:
    """Wait after the ``tries``-th failed try: doubling from ``backoff_s``, capped, ±50 %."""
    base = min(backoff_s * 2.0 ** max(tries - 1, 0), max_backoff_s)
    jitter: float = (rand or _jitter).random()
    return base * (0.5 + jitter)


_jitter = random.Random()  # noqa: S311 - jitter, not a secret


__all__ = [
    "EVENT_HEADER",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "EventState",
    "FollowupKind",
    "FollowupRules",
    "MissedCallMode",
    "OutboxEvent",
    "attempt_payload",
    "event_key",
    "is_last_attempt",
    "kinds_for",
    "new_promo_code",
    "retry_delay_s",
    "signature",
]
