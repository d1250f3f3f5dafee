"""PgStore: the PostgreSQL adapter the dialing loop talks to.

Every method runs in one transaction and returns frozen values from ``dialerd.domain``. Foreign
errors become :mod:`dialerd.storage.errors` at this boundary.

How two nodes share a campaign without dialling a phone twice:

* ``claim_due_phones`` locks due rows with ``FOR UPDATE SKIP LOCKED`` and leases them to the
  node until ``lease_until``; a lease left behind by a dead node expires and is claimable again;
* ``create_attempt`` turns the lease into ``dialing`` only if this node still holds it, in the
  same transaction that writes the attempt row, before the Originate is sent;
* at most one phone of a lead is scheduled, leased or dialling at once (a partial unique
  index), so two phones of one person are never dialled together.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.channel_switch import SwitchRules
from dialerd.domain import (
    AttemptResult,
    DncMatch,
    DuePhone,
    NewAttempt,
    NextDial,
    OpenAttempt,
    PhoneState,
    PhoneType,
)
from dialerd.followups import FollowupRules
from dialerd.limits import AttemptHistory, LimitReached, Limits
from dialerd.reasons import LeadOutlook
from dialerd.storage.callbacks_sql import settle_outcomes
from dialerd.storage.connect import make_engine
from dialerd.storage.dialing_sql import (
    APPLY_NEXT_DIAL,
    CLAIM_DUE,
    DUE_DETAILS,
    END_ATTEMPT,
    LOCK_OPEN_ATTEMPTS,
    RECLAIM_EXPIRED,
)
from dialerd.storage.disposition_acts import reapply_after_outcomes
from dialerd.storage.dnc_sql import (
    ACTIVE_MATCHES,
    BLOCK_PHONE,
    RECORD_BLOCK,
    START_NEXT_PHONE,
)
from dialerd.storage.errors import LeaseLost, SchemaNotAtHead, translate_errors
from dialerd.storage.limits_sql import histories, recheck_number
from dialerd.storage.outbox_sql import enqueue_outcome_events, enqueue_switch_events
from dialerd.storage.schema import check_at_head
from dialerd.storage.switch_sql import record_switches
from dialerd.storage.tables import call_attempts, campaigns, phone_schedule

__all__ = ["PgStore"]

ResultBatch = Sequence[tuple[AttemptResult, Sequence[NextDial]]]

# States the retry rules may put a phone in; leased and dialing belong to the claim protocol.
_NEXT_STATES = frozenset(
    {PhoneState.STANDBY, PhoneState.SCHEDULED, PhoneState.DONE, PhoneState.EXHAUSTED}
)


class PgStore:
    """Claims, attempts and outcomes in PostgreSQL; one connection pool per instance."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self._engine = make_engine(url, pool_size=pool_size)
        # campaign name -> the follow-up events its outcomes call for; set by the daemon
        self.followup_rules: Mapping[str, FollowupRules] = {}

    async def close(self) -> None:
        await self._engine.dispose()

    @asynccontextmanager
    async def transaction(self, doing: str) -> AsyncIterator[AsyncConnection]:
        with translate_errors(doing):
            async with self._engine.begin() as connection:
                yield connection

    async def is_at_head(self) -> bool:
        try:
            await self.require_head()
        except SchemaNotAtHead:
            return False
        return True

    async def require_head(self) -> None:
        """Raise :class:`SchemaNotAtHead` (with the fix in its message) unless migrated."""
        async with self.transaction("checking the schema revision") as connection:
            await check_at_head(connection)

    async def ensure_campaign(self, name: str) -> int:
        """The id of the campaign called ``name``, created if it does not exist yet."""
        insert = (
            pg_insert(campaigns)
            .values(name=name)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(campaigns.c.id)
        )
        select = sa.select(campaigns.c.id).where(campaigns.c.name == name)
        async with self.transaction("creating a campaign") as connection:
            created = (await connection.execute(insert)).scalar_one_or_none()
            if created is not None:
                return int(created)
            return int((await connection.execute(select)).scalar_one())

    async def claim_due_phones(
        self, campaign_id: int, node: str, limit: int, lease_s: float, now: datetime
    ) -> list[DuePhone]:
        """Lease up to ``limit`` due phones (and expired leases) of a campaign to ``node``."""
        params = {
            "campaign_id": campaign_id,
            "node": node,
            "now": now,
            "lease_until": now + timedelta(seconds=lease_s),
        }
        async with self.transaction("claiming due phones") as connection:
            claimed: list[int] = []
            for statement in (RECLAIM_EXPIRED, CLAIM_DUE):
                if len(claimed) < limit:
                    rows = await connection.execute(
                        statement, {**params, "limit": limit - len(claimed)}
                    )
                    claimed.extend(rows.scalars())
            if not claimed:
                return []
            rows = await connection.execute(DUE_DETAILS, {"phone_ids": claimed})
            return [_due_phone(row) for row in rows.mappings()]

    async def create_attempt(self, attempt: NewAttempt, recheck: Limits | None = None) -> None:
        """Write the attempt and mark its phone dialling; call before sending the Originate.

        Raises :class:`LeaseLost` (and writes nothing) unless ``attempt.node`` holds the lease,
        and :class:`LimitReached` (nor) when a limit of ``recheck`` that other leads can reach
        (scope number) holds, counted under the number's lock with every committed attempt.
        """
        start_dialing = (
            sa.update(phone_schedule)
            .where(
                phone_schedule.c.phone_id == attempt.phone_id,
                phone_schedule.c.state == PhoneState.LEASED.value,
                phone_schedule.c.leased_by == attempt.node,
            )
            .values(state=PhoneState.DIALING.value, lease_until=None, updated_at=attempt.created_at)
            .returning(phone_schedule.c.phone_id)
        )
        async with self.transaction("writing a call attempt") as connection:
            if (await connection.execute(start_dialing)).first() is None:
                raise LeaseLost(attempt.phone_id, attempt.node)
            refused = await recheck_number(connection, attempt, recheck) if recheck else None
            if refused is not None:
                raise LimitReached(attempt.phone_id, refused)
            await connection.execute(sa.insert(call_attempts).values(_attempt_row(attempt)))

    async def mark_originated(self, attempt_id: uuid.UUID, at: datetime) -> None:
        statement = (
            sa.update(call_attempts)
            .where(
                call_attempts.c.attempt_id == attempt_id, call_attempts.c.originated_at.is_(None)
            )
            .values(originated_at=at)
        )
        async with self.transaction("marking an attempt originated") as connection:
            await connection.execute(statement)

    async def record_results(
        self, items: ResultBatch, switch_rules: SwitchRules | None = None
    ) -> None:
        """Write final results, the schedule, the channel switches ``switch_rules`` (by
        campaign id) call for and the follow-up events, all in one transaction
        (docs/followups.md).

        Idempotent: an attempt that already has an end keeps it, and its schedule updates are
        skipped, so replaying a batch after a crash changes nothing.
        """
        batch = _unique_by_attempt(items)
        if not batch:
            return
        async with self.transaction("recording call outcomes") as connection:
            open_phone = await _lock_open_attempts(connection, list(batch))
            results = [batch[aid][0] for aid in open_phone]
            if not results:
                return
            await connection.execute(END_ATTEMPT, [_result_row(r) for r in results])
            updates = _schedule_updates(results, batch, open_phone)
            if updates:
                await connection.execute(APPLY_NEXT_DIAL, updates)
            switched = await record_switches(connection, results, switch_rules or {})
            dials = {attempt_id: item[1] for attempt_id, item in batch.items()}
            await enqueue_outcome_events(connection, results, dials, self.followup_rules)
            await enqueue_switch_events(connection, switched, results, self.followup_rules)
            await settle_outcomes(connection, results, self.followup_rules.keys())
            ended = max(result.ended_at for result in results)
            await reapply_after_outcomes(connection, [r.attempt_id for r in results], ended)

    async def release_leases(self, node: str, phone_ids: Sequence[int]) -> int:
        """Give back leased, not yet dialled phones (at shutdown); returns how many."""
        return await self._give_back(node, phone_ids, "releasing leases")

    async def defer_phones(self, node: str, phone_ids: Sequence[int], until: datetime) -> int:
        """Give back leased phones to be dialled no sooner than ``until`` (their calling window
        opens then, or no caller ID is free now, for example); returns how many."""
        return await self._give_back(node, phone_ids, "deferring phones", next_dial_at=until)

    async def _give_back(
        self, node: str, phone_ids: Sequence[int], doing: str, **values: object
    ) -> int:
        """Leased phones of ``node`` back to ``scheduled`` (with ``values`` set too)."""
        if not phone_ids:
            return 0
        statement = (
            sa.update(phone_schedule)
            .where(
                phone_schedule.c.phone_id.in_(list(phone_ids)),
                phone_schedule.c.state == PhoneState.LEASED.value,
                phone_schedule.c.leased_by == node,
            )
            .values(
                state=PhoneState.SCHEDULED.value,
                leased_by=None,
                lease_until=None,
                updated_at=sa.func.now(),
                **values,
            )
        )
        async with self.transaction(doing) as connection:
            return (await connection.execute(statement)).rowcount

    async def abandon_window(self, campaign_id: int, since: datetime) -> tuple[int, int]:
        """(connected, abandoned) calls of the campaign that ended since ``since``: the
        counts the abandon budget is measured on, shared by every node."""
        c = call_attempts.c
        statement = sa.select(
            sa.func.count().filter(c.outcome == "connected"),
            sa.func.count().filter(c.outcome == "abandoned"),
        ).where(
            c.campaign_id == campaign_id,
            c.created_at >= since - timedelta(hours=1),  # the index; no call rings an hour
            c.ended_at >= since,
        )
        async with self.transaction("reading the abandon window") as connection:
            connected, abandoned = (await connection.execute(statement)).one()
            return int(connected), int(abandoned)

    async def voicemail_drops(self, lead_ids: Sequence[int], since: datetime) -> dict[int, int]:
        """Voicemail drops (AMD's `message` action) per lead, in any campaign, ended since
        ``since``; leads with none are absent."""
        c = call_attempts.c
        statement = (
            sa.select(c.lead_id, sa.func.count())
            .where(c.lead_id.in_(list(lead_ids)), c.amd_action == "message", c.ended_at >= since)
            .group_by(c.lead_id)
        )
        async with self.transaction("counting voicemail drops") as connection:
            rows = (await connection.execute(statement)).all()
            return {int(lead): int(count) for lead, count in rows}

    async def lead_outlook(self, campaign_id: int, now: datetime) -> LeadOutlook:
        """The campaign's earliest scheduled phone and its phones in progress: what tells
        "nothing due now" from "list exhausted". Two index lookups, however long the list."""
        s = phone_schedule.c
        of_campaign = s.campaign_id == campaign_id
        next_due = sa.select(sa.func.min(s.next_dial_at)).where(of_campaign, s.state == "scheduled")
        busy = sa.select(sa.func.count()).where(of_campaign, s.state.in_(("leased", "dialing")))
        statement = sa.select(next_due.scalar_subquery(), busy.scalar_subquery())
        async with self.transaction("reading the lead outlook") as connection:
            next_due_at, in_progress = (await connection.execute(statement)).one()
        return LeadOutlook(next_due_at, int(in_progress), read_at=now)

    async def ping(self) -> None:
        """Raise StorageUnavailable unless PostgreSQL answers."""
        async with self.transaction("checking the database") as connection:
            await connection.execute(sa.text("SELECT 1"))

    async def attempt_histories(
        self, phones: Sequence[DuePhone], limits: Limits, now: datetime
    ) -> list[AttemptHistory]:
        """What the limits need to know of each claimed phone's past: one query per batch."""
        if not phones:
            return []
        async with self.transaction("reading attempt histories") as connection:
            return await histories(connection, phones, limits, now)

    async def do_not_call_matches(
        self, campaign_id: int, phones: Sequence[DuePhone], now: datetime
    ) -> list[DncMatch]:
        """The claimed phones an active do-not-call entry applies to: one query per batch."""
        if not phones:
            return []
        params = {
            "phone_ids": [p.phone_id for p in phones],
            "numbers": [p.number for p in phones],
            "lead_ids": [p.lead_id for p in phones],
            "campaign_id": campaign_id,
            "now": now,
        }
        async with self.transaction("checking the do-not-call lists") as connection:
            rows = await connection.execute(ACTIVE_MATCHES, params)
            return [DncMatch(**row) for row in rows.mappings()]

    async def block_phones(
        self, node: str, blocks: Sequence[tuple[DuePhone, DncMatch]], now: datetime
    ) -> int:
        """Record each blocked dial and take its phone out of the campaign; returns how many.

        A phone this node no longer holds is left alone (whoever holds it checks it too).
        """
        blocked = 0
        async with self.transaction("recording blocked dials") as connection:
            for phone, match in blocks:
                key = {"phone_id": phone.phone_id, "node": node, "now": now}
                if (await connection.execute(BLOCK_PHONE, key)).first() is None:
                    continue
                await connection.execute(RECORD_BLOCK, _block_row(phone, match, node, now))
                if phone.next_phone_id is not None and not match.by_lead:
                    next_key = {"next_phone_id": phone.next_phone_id, "now": now}
                    await connection.execute(START_NEXT_PHONE, next_key)
                blocked += 1
        return blocked

    async def open_attempts(self, node: str) -> list[OpenAttempt]:
        """Attempts of ``node`` with no end recorded (to reconcile after a crash), oldest first."""
        c = call_attempts.c
        statement = (
            sa.select(
                c.attempt_id,
                c.campaign_id,
                c.phone_id,
                c.number,
                c.node,
                c.created_at,
                c.originated_at,
            )
            .where(c.node == node, c.ended_at.is_(None))
            .order_by(c.created_at)
        )
        async with self.transaction("listing open attempts") as connection:
            rows = await connection.execute(statement)
            return [OpenAttempt(**row) for row in rows.mappings()]


def _block_row(phone: DuePhone, match: DncMatch, node: str, now: datetime) -> dict[str, object]:
    return {
        "campaign_id": phone.campaign_id,
        "lead_id": phone.lead_id,
        "phone_id": phone.phone_id,
        "number": phone.number,
        "entry_id": match.entry_id,
        "reason": match.reason,
        "node": node,
        "now": now,
    }


def _due_phone(row: sa.RowMapping) -> DuePhone:
    start, end = row["call_window_start"], row["call_window_end"]
    return DuePhone(
        phone_id=row["phone_id"],
        lead_id=row["lead_id"],
        campaign_id=row["campaign_id"],
        number=row["number"],
        phone_type=PhoneType(row["phone_type"]),
        lead_name=row["lead_name"],
        time_zone=row["time_zone"],
        attempts=row["attempts"],
        lead_attempts=row["lead_attempts"],
        next_phone_id=row["next_phone_id"],
        lease_until=row["lease_until"],
        call_window=(start, end) if start is not None and end is not None else None,
        fields=row["fields"] or {},
        external_id=row["external_id"],
    )


def _attempt_row(attempt: NewAttempt) -> dict[str, object]:
    return {
        "attempt_id": attempt.attempt_id,
        "campaign_id": attempt.campaign_id,
        "lead_id": attempt.lead_id,
        "phone_id": attempt.phone_id,
        "number": attempt.number,
        "caller_id": attempt.caller_id,
        "attempt_number": attempt.attempt_number,
        "node": attempt.node,
        "created_at": attempt.created_at,
    }


def _unique_by_attempt(
    items: ResultBatch,
) -> dict[uuid.UUID, tuple[AttemptResult, Sequence[NextDial]]]:
    """The batch keyed by attempt, first report of an attempt wins; next states checked."""
    batch: dict[uuid.UUID, tuple[AttemptResult, Sequence[NextDial]]] = {}
    for result, next_dials in items:
        for next_dial in next_dials:
            if next_dial.state not in _NEXT_STATES:
                raise ValueError(
                    f"retry rules cannot put phone {next_dial.phone_id} in {next_dial.state}"
                )
        batch.setdefault(result.attempt_id, (result, next_dials))
    return batch


async def _lock_open_attempts(
    connection: AsyncConnection, attempt_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Lock the attempts still without an end; map each to its dialled phone."""
    rows = await connection.execute(LOCK_OPEN_ATTEMPTS, {"attempt_ids": attempt_ids})
    return {row.attempt_id: row.phone_id for row in rows}


def _result_row(result: AttemptResult) -> dict[str, object]:
    return {
        "b_attempt_id": result.attempt_id,
        "outcome": result.outcome.value,
        "ended_at": result.ended_at,
        "originated_at": result.originated_at,
        "answered_at": result.answered_at,
        "agent_connected_at": result.agent_connected_at,
        "ast_reason": result.ast_reason,
        "hangup_cause": result.hangup_cause,
        "agent": result.agent,
        "hold_s": result.hold_s,
        "talk_s": result.talk_s,
        "amd_status": result.amd.status if result.amd else None,
        "amd_cause": result.amd.cause if result.amd else None,
        "amd_ms": result.amd.ms if result.amd else None,
        "amd_action": result.amd.action if result.amd else None,
    }


def _schedule_updates(
    results: list[AttemptResult],
    batch: dict[uuid.UUID, tuple[AttemptResult, Sequence[NextDial]]],
    open_phone: dict[uuid.UUID, int],
) -> list[dict[str, object]]:
    """Parameter rows for APPLY_NEXT_DIAL, every dialled phone first.

    The dialled phone must leave 'dialing' before the lead's next phone becomes 'scheduled', or
    the one-active-phone-per-lead index would refuse the batch.
    """
    dialled: list[dict[str, object]] = []
    others: list[dict[str, object]] = []
    for result in results:
        phone_id = open_phone[result.attempt_id]
        for next_dial in batch[result.attempt_id][1]:
            was_dialled = next_dial.phone_id == phone_id
            (dialled if was_dialled else others).append(
                {
                    "b_phone_id": next_dial.phone_id,
                    "state": next_dial.state.value,
                    "next_dial_at": next_dial.next_dial_at,
                    "increment": 1 if was_dialled else 0,
                    "outcome": result.outcome.value if was_dialled else None,
                    "now": result.ended_at,
                }
            )
    return dialled + others
