"""What PostgreSQL keeps for the caller-ID pool: presentations, per-hour outcomes, states.

* presentations: the caller ID stored on each call attempt, read back to rebuild Redis (or
  the in-process store at start) so a restart never forgets what a customer saw last, and
  the pool numbers customers called back (inbound_calls), which affinity prefers;
* hour outcomes: attempts, answers and short calls per pool number and UTC hour, for the
  health check;
* state changes: the audit log of active / quarantined / retired, whose newest row per
  number is that number's state on every node.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from caller_id_pool import HourOutcomes, NumberState, Presentation, StateChange
from dialerd.storage.store import PgStore
from dialerd.storage.tables import call_attempts, caller_id_state_changes, inbound_calls

__all__ = ["PgCallerIdLog"]

_HOUR_OUTCOMES = sa.text(
    """
    SELECT caller_id AS number, date_trunc('hour', created_at) AS hour,
           count(*) AS attempts,
           count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
           count(*) FILTER (WHERE answered_at IS NOT NULL
                            AND coalesce(talk_s, 0) < :short_s) AS short_calls
    FROM call_attempts
    WHERE caller_id = ANY(:numbers) AND created_at >= :since AND ended_at IS NOT NULL
      AND outcome NOT IN ('cancelled', 'unknown')
    GROUP BY 1, 2
    """
)

_LATEST_STATES = sa.text(
    """
    SELECT DISTINCT ON (number) number, previous, state, reason, actor, changed_at
    FROM caller_id_state_changes ORDER BY number, id DESC
    """
)


class PgCallerIdLog:
    """The caller-ID pool's records in PostgreSQL, through a `PgStore`'s connection pool."""

    def __init__(self, store: PgStore) -> None:
        self._store = store

    async def presentations(self, since: datetime) -> list[Presentation]:
        """The caller IDs shown on attempts, and the pool numbers customers called back."""
        c, i = call_attempts.c, inbound_calls.c
        shown = sa.select(
            c.lead_id, c.caller_id, c.created_at, c.answered_at.is_not(None).label("answered")
        ).where(c.caller_id.is_not(None), c.created_at >= since)
        called_back = sa.select(i.lead_id, i.called, i.started_at).where(
            i.lead_id.is_not(None), i.started_at >= since
        )
        async with self._store.transaction("reading caller-ID presentations") as connection:
            rows = await connection.execute(shown)
            found = [
                Presentation(str(r.lead_id), r.caller_id, r.created_at, bool(r.answered))
                for r in rows
            ]
            rows = await connection.execute(called_back)
            found += [
                Presentation(str(r.lead_id), r.called, r.started_at, callback=True) for r in rows
            ]
            return found

    async def presentations_of(
        self,
        customers: Sequence[str],
        numbers: Sequence[str],
        customers_since: datetime,
        numbers_since: datetime,
    ) -> list[Presentation]:
        """What these customers were shown since one instant, and every use of these
        numbers since another: enough to decide one batch without the shared store."""
        c = call_attempts.c
        leads = [int(customer) for customer in customers]
        of_customers = sa.and_(c.lead_id.in_(leads), c.created_at >= customers_since)
        of_numbers = sa.and_(c.caller_id.in_(list(numbers)), c.created_at >= numbers_since)
        statement = sa.select(
            c.lead_id, c.caller_id, c.created_at, c.answered_at.is_not(None).label("answered")
        ).where(c.caller_id.is_not(None), sa.or_(of_customers, of_numbers))
        async with self._store.transaction("reading caller-ID presentations") as connection:
            rows = await connection.execute(statement)
            return [
                Presentation(str(r.lead_id), r.caller_id, r.created_at, bool(r.answered))
                for r in rows
            ]

    async def hour_outcomes(
        self, numbers: Sequence[str], since: datetime, short_s: float
    ) -> list[HourOutcomes]:
        params = {"numbers": list(numbers), "since": since, "short_s": short_s}
        async with self._store.transaction("reading caller-ID outcomes") as connection:
            rows = await connection.execute(_HOUR_OUTCOMES, params)
            return [
                HourOutcomes(r.number, r.hour, r.attempts, r.answered, r.short_calls) for r in rows
            ]

    async def latest_states(self) -> dict[str, StateChange]:
        async with self._store.transaction("reading caller-ID states") as connection:
            rows = await connection.execute(_LATEST_STATES)
            return {r.number: _change(r) for r in rows}

    async def record_state(self, change: StateChange) -> None:
        row = {
            "number": change.number,
            "previous": change.previous.value,
            "state": change.state.value,
            "reason": change.reason,
            "actor": change.actor,
            "changed_at": change.at,
        }
        async with self._store.transaction("recording a caller-ID state") as connection:
            await connection.execute(sa.insert(caller_id_state_changes).values(row))


def _change(row: sa.Row[tuple[object, ...]]) -> StateChange:
    return StateChange(
        number=str(row.number),
        previous=NumberState(row.previous),
        state=NumberState(row.state),
        reason=str(row.reason),
        at=row.changed_at,
        actor=str(row.actor),
    )
