"""What the daemon needs from the outside world, as small interfaces.

The PostgreSQL adapter (dialerd.storage) implements `Store`; unit tests of the pure
parts use hand-written fakes. Integration tests always use the real adapter.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from caller_id_pool import HourOutcomes, Presentation, StateChange
from dialerd.channel_switch import SwitchRules
from dialerd.domain import (
    AttemptResult,
    DncMatch,
    DuePhone,
    NewAttempt,
    NextDial,
    OpenAttempt,
)
from dialerd.limits import AttemptHistory, Limits
from dialerd.reasons import LeadOutlook


class Store(Protocol):
    async def ensure_campaign(self, name: str) -> int: ...

    async def claim_due_phones(
        self, campaign_id: int, node: str, limit: int, lease_s: float, now: datetime
    ) -> list[DuePhone]: ...

    async def create_attempt(self, attempt: NewAttempt, recheck: Limits | None = None) -> None:
        """Raises dialerd.limits.LimitReached when a number-scoped limit of `recheck` holds."""
        ...

    async def attempt_histories(
        self, phones: Sequence[DuePhone], limits: Limits, now: datetime
    ) -> list[AttemptHistory]: ...

    async def record_results(
        self,
        items: Sequence[tuple[AttemptResult, Sequence[NextDial]]],
        switch_rules: SwitchRules | None = None,
    ) -> None:
        """`switch_rules`: each campaign's retry.channel_switch, by campaign id."""
        ...

    async def release_leases(self, node: str, phone_ids: Sequence[int]) -> int: ...

    async def defer_phones(self, node: str, phone_ids: Sequence[int], until: datetime) -> int: ...

    async def open_attempts(self, node: str) -> list[OpenAttempt]: ...

    async def do_not_call_matches(
        self, campaign_id: int, phones: Sequence[DuePhone], now: datetime
    ) -> list[DncMatch]: ...

    async def block_phones(
        self, node: str, blocks: Sequence[tuple[DuePhone, DncMatch]], now: datetime
    ) -> int: ...

    async def abandon_window(self, campaign_id: int, since: datetime) -> tuple[int, int]:
        """(connected, abandoned) calls of the campaign that ended since `since`."""
        ...

    async def voicemail_drops(self, lead_ids: Sequence[int], since: datetime) -> dict[int, int]:
        """Voicemail drops per lead ended since `since` (AMD's message action)."""
        ...

    async def lead_outlook(self, campaign_id: int, now: datetime) -> LeadOutlook: ...

    async def ping(self) -> None: ...


class CallerIdLog(Protocol):
    """What PostgreSQL keeps for the caller-ID pool (dialerd.storage.caller_ids)."""

    async def presentations(self, since: datetime) -> list[Presentation]: ...

    async def presentations_of(
        self,
        customers: Sequence[str],
        numbers: Sequence[str],
        customers_since: datetime,
        numbers_since: datetime,
    ) -> list[Presentation]: ...

    async def hour_outcomes(
        self, numbers: Sequence[str], since: datetime, short_s: float
    ) -> list[HourOutcomes]: ...

    async def latest_states(self) -> dict[str, StateChange]: ...

    async def record_state(self, change: StateChange) -> None: ...


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """Monotonic time for timeouts and pacing, aware UTC for what is stored."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


def new_attempt_id() -> uuid.UUID:
    return uuid.uuid4()
