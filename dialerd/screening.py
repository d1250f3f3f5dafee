"""What stands between a claimed phone and its Originate: do-not-call lists, calling windows.

Both are checked at dial time, never only at import, and both fail closed: a phone whose
check could not be made is not dialled (its lease runs out and it is claimed, and checked,
again).

* Do-not-call is checked once per dial batch, in one query, after the claim and before any
  attempt row is written; a batch whose dials take longer than ``RECHECK_S`` has the rest of
  it checked again, so no Originate goes out more than ``RECHECK_S`` (plus one dial) after
  the check that let it through: an entry is in force on every node within a second.
  Before the attempt row, not after: a blocked dial never becomes an attempt, so
  ``call_attempts`` stays one row per Originate sent (it matches Asterisk's CDR one to one),
  and attempt numbers, retry caps and answer rates are not diluted by calls never placed. The
  block is recorded in ``blocked_dials`` with its reason, and the phone becomes ``blocked``.
* The calling window is checked for each phone with the very instant its attempt row will
  carry, so ``call_attempts.created_at`` is always inside the customer's window. A phone
  outside it goes back to ``scheduled`` at the instant the window opens.
* Attempt limits (dialerd.limits) are checked with the do-not-call lists, one query per
  batch, from ``call_attempts`` (every node's and campaign's attempts); a phone over a limit
  goes back to ``scheduled`` at the earliest instant every limit allows, never dropped. Two
  nodes may pass that check for one number at the same instant, so the limits another lead
  can reach (scope number) are counted again under the number's lock in the transaction that
  writes the attempt row, and a refused attempt is deferred the same way
  (docs/decisions/0004-attempt-limits-rechecked-under-a-number-lock.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from dialerd.config import Campaign
from dialerd.domain import DncMatch, DuePhone, NewAttempt
from dialerd.errors import DialerdError
from dialerd.limits import NO_LIMITS, Deferral, LimitReached, Limits, check
from dialerd.logs import mask_number
from dialerd.ports import Clock, Store
from dialerd.window_settings import CallingWindowSettings
from dialerd.windows import customer_for, is_open, next_opening

log = structlog.get_logger("dialerd.screening")

# A preferred window that never meets the campaign's hours: look again in a day (the campaign
# may change) rather than drop the phone; the log says why it is not dialled.
NEVER_OPENS_RETRY = timedelta(days=1)
# A lifetime cap reached: look again in a day (a raised cap applies) rather than drop the phone.
LIFETIME_RETRY = timedelta(days=1)
# How old a do-not-call check may be when a phone is handed out for dialling.
RECHECK_S = 0.5


def reopens_at(
    settings: CallingWindowSettings | None, phone: DuePhone, now: datetime
) -> datetime | None:
    """None when ``phone`` may be dialled at ``now``; otherwise when to look at it again."""
    if settings is None:
        return None
    preferred = phone.call_window if settings.lead_window else None
    customer = customer_for(phone.number, phone.time_zone, settings.fallback_time_zone, preferred)
    window = settings.window()
    if is_open(window, customer, now):
        return None
    return next_opening(window, customer, now) or now + NEVER_OPENS_RETRY


@dataclass
class ScreenTally:
    """Phones held back since the tally was started (dialerd.reasons reads a batch's)."""

    blocked: int = 0  # on a do-not-call list
    limited: int = 0  # an attempt limit holds them
    outside_window: int = 0


class DialScreen:
    def __init__(self, store: Store, node: str, clock: Clock) -> None:
        self._store = store
        self._node = node
        self._clock = clock
        self.tally = ScreenTally()

    async def admitted(
        self, campaign_id: int, phones: Sequence[DuePhone], limits: Limits = NO_LIMITS
    ) -> AsyncIterator[DuePhone]:
        """The batch's phones no do-not-call entry or attempt limit stops, each checked
        < RECHECK_S ago."""
        pending = list(phones)
        while pending:
            checked_at = self._clock.monotonic()
            pending = await self.drop_blocked(campaign_id, pending, self._clock.now())
            pending = await self.drop_limited(limits, pending, self._clock.now())
            while pending:
                yield pending.pop(0)  # at least one per check: progress even on a slow query
                if self._clock.monotonic() - checked_at >= RECHECK_S:
                    break

    async def drop_blocked(
        self, campaign_id: int, phones: Sequence[DuePhone], now: datetime
    ) -> list[DuePhone]:
        """The phones no do-not-call entry applies to; the others are recorded as blocked."""
        if not phones:
            return []
        try:
            matches = await self._store.do_not_call_matches(campaign_id, phones, now)
        except DialerdError as exc:
            log.warning("dnc_check_failed", error=str(exc), phones=len(phones))
            return []
        by_phone = {match.phone_id: match for match in matches}
        blocks = [(p, by_phone[p.phone_id]) for p in phones if p.phone_id in by_phone]
        self.tally.blocked += len(blocks)
        if blocks:
            await self._record(blocks, now)
        return [phone for phone in phones if phone.phone_id not in by_phone]

    async def _record(self, blocks: list[tuple[DuePhone, DncMatch]], now: datetime) -> None:
        try:
            await self._store.block_phones(self._node, blocks, now)
        except DialerdError as exc:  # not dialled anyway; recorded when claimed again
            log.warning("dial_block_not_recorded", error=str(exc), phones=len(blocks))
            return
        for phone, match in blocks:
            log.info(
                "dial_blocked",
                phone_id=phone.phone_id,
                lead_id=phone.lead_id,
                reason=mask_number(match.reason),
            )

    async def deferred(self, campaign: Campaign, phone: DuePhone, now: datetime) -> bool:
        """True (and the phone put back until its window opens) when it may not be dialled now."""
        until = reopens_at(campaign.calling_window, phone, now)
        if until is None:
            return False
        self.tally.outside_window += 1
        try:
            await self._store.defer_phones(self._node, [phone.phone_id], until)
        except DialerdError as exc:  # the lease runs out; the next claim checks again
            log.warning("dial_deferral_failed", error=str(exc), phone_id=phone.phone_id)
            return True
        log.info("dial_deferred", phone_id=phone.phone_id, until=until.isoformat())
        return True

    async def drop_limited(
        self, limits: Limits, phones: Sequence[DuePhone], now: datetime
    ) -> list[DuePhone]:
        """The phones every attempt limit allows now; the others are put back until allowed."""
        if not phones or not limits.any:
            return list(phones)
        try:
            found = await self._store.attempt_histories(phones, limits, now)
        except DialerdError as exc:  # fail closed: the leases run out, the next claim checks
            log.warning("limits_check_failed", error=str(exc), phones=len(phones))
            return []
        held = {h.phone_id: d for h in found if (d := check(limits, h, now)) is not None}
        self.tally.limited += len(held)
        for phone_id, deferral in held.items():
            await self._defer_limited(phone_id, deferral, now)
        allowed = {h.phone_id for h in found} - held.keys()  # no history read: not dialled
        return [phone for phone in phones if phone.phone_id in allowed]

    async def write_attempt(self, attempt: NewAttempt, limits: Limits = NO_LIMITS) -> None:
        """Store.create_attempt, with the number-scoped limits counted again under the
        number's lock; a refused attempt's phone is put back until allowed (and re-raised)."""
        recheck = limits if limits.number_scoped().any else None
        try:
            await self._store.create_attempt(attempt, recheck)
        except LimitReached as exc:
            self.tally.limited += 1
            await self._defer_limited(attempt.phone_id, exc.deferral, attempt.created_at)
            raise

    async def _defer_limited(self, phone_id: int, deferral: Deferral, now: datetime) -> None:
        until = deferral.until or now + LIFETIME_RETRY
        try:
            await self._store.defer_phones(self._node, [phone_id], until)
        except DialerdError as exc:  # not dialled anyway; the lease runs out
            log.warning("dial_deferral_failed", error=str(exc), phone_id=phone_id)
            return
        log.info(
            "dial_deferred", phone_id=phone_id, until=until.isoformat(), reason=deferral.reason
        )
