"""One campaign's caller IDs: the pool from its YAML, rules and reservations from
`caller_id_pool`, states and statistics from PostgreSQL.

The numbers and their caps are configuration; whether a number is active, quarantined or
retired is the newest row of PostgreSQL's audit log (`caller_id_state_changes`), read at most
every `STATES_REFRESH_S`, so `dialerd caller-id retire` reaches every node within seconds.
What each customer saw last and how much each number was used today live in the shared
store (Redis with several nodes, in-process otherwise), rebuilt from the attempts
PostgreSQL keeps when it is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from caller_id_pool import (
    DEFAULT_PREFIXES,
    CallerIdError,
    CallerIdStore,
    Caps,
    Classifier,
    Dial,
    HealthSettings,
    InProcessStore,
    NoneAvailable,
    PoolNumber,
    Reservation,
    Rules,
    StateChange,
    StoreUnavailable,
    check_health,
    prefix_entry,
    quarantines,
    reserve_caller_ids,
    restored_at,
    with_states,
)
from caller_id_pool.model import REMEMBER_CUSTOMER_DAYS
from dialerd.config import CallerIdSettings, PoolNumberSettings
from dialerd.domain import DuePhone
from dialerd.errors import DialerdError
from dialerd.ports import CallerIdLog

log = structlog.get_logger("dialerd.rotation")

STATES_REFRESH_S = 5.0
# While the shared store is down, a batch counts each pool number's use over the last day
# from PostgreSQL: the longest cap (per_day) fits in it, the shorter ones count more.
FALLBACK_USE_WINDOW = timedelta(days=1)

Picked = Reservation | NoneAvailable


def build_pool(settings: CallerIdSettings, classifier: Classifier) -> tuple[PoolNumber, ...]:
    return tuple(_pool_number(n, classifier) for n in settings.numbers)


def _pool_number(n: PoolNumberSettings, classifier: Classifier) -> PoolNumber:
    caps = Caps(
        per_day=n.per_day, per_hour=n.per_hour, per_minute=n.per_minute, cooldown_s=n.cooldown_s
    )
    return classifier.pool_number(
        n.number, caps=caps, weight=n.weight, tags=n.tags, operator=n.operator, region=n.region
    )


def build_classifier(settings: CallerIdSettings) -> Classifier:
    entries = [prefix_entry(p.prefix, p.operator, p.region) for p in settings.prefixes]
    return Classifier(DEFAULT_PREFIXES.merged(entries))


def build_rules(settings: CallerIdSettings) -> Rules:
    return Rules(
        avoid_last=settings.avoid_last,
        prefer=tuple(settings.prefer),
        affinity=settings.affinity,
        tags=frozenset(settings.tags),
    )


def health_settings(settings: CallerIdSettings) -> HealthSettings:
    h = settings.health
    return HealthSettings(
        window_h=h.window_h,
        min_attempts=h.min_attempts,
        min_answered=h.min_answered,
        significance=h.significance,
        min_effect=h.min_effect,
    )


@dataclass
class CallerIdRotator:
    settings: CallerIdSettings
    store: CallerIdStore
    records: CallerIdLog
    classifier: Classifier
    configured: tuple[PoolNumber, ...]
    rules: Rules
    pool: tuple[PoolNumber, ...] = ()
    _states_read_at: float = float("-inf")
    _states: dict[str, StateChange] | None = None
    _answers: list[tuple[int, str]] = field(default_factory=list)  # (lead, caller ID)
    _health_due: float = float("-inf")
    _fallback: InProcessStore | None = None  # while the shared store is unreachable

    @classmethod
    def create(
        cls, settings: CallerIdSettings, store: CallerIdStore, records: CallerIdLog
    ) -> CallerIdRotator:
        classifier = build_classifier(settings)
        pool = build_pool(settings, classifier)
        return cls(settings, store, records, classifier, pool, build_rules(settings), pool)

    def note_answer(self, lead_id: int, number: str) -> None:
        """A customer answered while `number` was shown: remembered at the next upkeep."""
        self._answers.append((lead_id, number))

    async def upkeep(self, monotonic: float, now: datetime) -> tuple[StateChange, ...]:
        """Answers remembered for affinity, fresh states, and the health check when due;
        returns the state changes the health check made."""
        answers, self._answers = self._answers, []
        for lead_id, number in answers:
            await self.answered(lead_id, number)
        await self.refresh_states(monotonic)
        if not self.settings.health.enabled or monotonic < self._health_due:
            return ()
        self._health_due = monotonic + self.settings.health.interval_s
        return await self.check_health(now)

    async def refresh_states(self, monotonic: float) -> None:
        """The pool with each number's state from the audit log (at most every few seconds)."""
        if monotonic - self._states_read_at >= STATES_REFRESH_S:
            await self._load_states()
            self._states_read_at = monotonic

    async def _load_states(self) -> None:
        self._states = await self.records.latest_states()
        self.pool = with_states(self.configured, self._states)

    async def pick(
        self, phones: Sequence[DuePhone], attempt_ids: Sequence[str], now: datetime
    ) -> list[Picked]:
        """A caller ID reserved for each phone's dial, or why there is none (in order)."""
        dials = [
            Dial(str(p.lead_id), a, self.classifier.profile(p.number))
            for p, a in zip(phones, attempt_ids, strict=True)
        ]
        try:
            await rebuild_if_lost(self.store, self.records, now)
            picked = list(await reserve_caller_ids(self.store, self.pool, dials, self.rules, now))
        except StoreUnavailable as exc:
            return await self._pick_from_postgres(dials, now, exc)
        except CallerIdError as exc:
            reason = f"caller-ID store unavailable: {exc}"
            return [NoneAvailable(reason) for _ in dials]
        if self._fallback is not None:
            log.info("caller_id_store_back")
            self._fallback = None
        return picked

    async def _pick_from_postgres(
        self, dials: Sequence[Dial], now: datetime, cause: CallerIdError
    ) -> list[Picked]:
        """The shared store is unreachable: decide the batch from PostgreSQL instead.

        Every node writes its attempt, with the caller ID shown, before the Originate, so the
        attempt rows hold what each customer saw last and how often each number was used:
        merged into a store of this runner's own (which also holds its reservations since
        the outage began), the rules and caps hold for every node's dials. No PostgreSQL
        either: no caller ID, no dial.
        """
        if self._fallback is None:
            log.warning("caller_id_store_unavailable", error=str(cause), fallback="postgresql")
            self._fallback = InProcessStore()
        customers = [d.customer_id for d in dials]
        numbers = [n.number for n in self.pool]
        since = now - timedelta(days=REMEMBER_CUSTOMER_DAYS)
        try:
            shown = await self.records.presentations_of(
                customers, numbers, since, now - FALLBACK_USE_WINDOW
            )
            await self._fallback.rebuild(shown, now, states=(self._states or {}).values())
            return list(await reserve_caller_ids(self._fallback, self.pool, dials, self.rules, now))
        except (DialerdError, CallerIdError) as exc:
            reason = f"caller-ID store unavailable ({cause}) and PostgreSQL too: {exc}"
            return [NoneAvailable(reason) for _ in dials]

    async def release(self, reservation: Reservation) -> None:
        if self._fallback is not None:
            await self._fallback.release(reservation)
        try:
            await self.store.release(reservation)
        except CallerIdError as exc:  # the reservation then counts once too often: safe
            log.warning("caller_id_release_failed", error=str(exc))

    async def answered(self, lead_id: int, number: str) -> None:
        try:
            await self.store.record_answer(str(lead_id), number)
        except CallerIdError as exc:
            log.warning("caller_id_answer_not_recorded", error=str(exc))

    async def check_health(self, now: datetime) -> tuple[StateChange, ...]:
        """Quarantine every active number whose answer rate falls significantly below its
        peers'; each change is written to the audit log and returned."""
        await self._load_states()
        settings = health_settings(self.settings)
        since = now - timedelta(hours=settings.window_h)
        numbers = [n.number for n in self.pool]
        outcomes = await self.records.hour_outcomes(
            numbers, since, self.settings.health.short_call_s
        )
        restored = restored_at(self._states or {})
        verdicts = check_health(outcomes, self.pool, settings, now, restored)
        changes = quarantines(verdicts, self.pool, now)
        for change in changes:
            await self.records.record_state(change)
        if changes:
            await self._load_states()
        return changes


async def rebuild_if_lost(store: CallerIdStore, records: CallerIdLog, now: datetime) -> None:
    """Rebuild the store from PostgreSQL's presentations when it is empty: never built, or
    restarted without its data (a Redis without persistence forgets everything)."""
    if not await store.needs_rebuild():
        return
    shown = await records.presentations(now - timedelta(days=REMEMBER_CUSTOMER_DAYS))
    report = await store.rebuild(shown, now, states=(await records.latest_states()).values())
    log.info(
        "caller_id_store_rebuilt", presentations=report.presentations, customers=report.customers
    )
