"""PgReconcile: attempts that ended ``unknown``, their CDR rows, and their true outcome.

The CDR rows are read from ``asterisk_cdr`` in the dialer's database, or in a database of their
own (``reconcile.cdr_database``): two short reads and one write transaction per round, so the
two databases need not be one. The write locks each attempt and changes it only while it is
still ``unknown`` and not reconciled, so two nodes reconciling at once settle it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from dialerd.reconcile import CdrRow, Reconciled
from dialerd.storage.store import PgStore

__all__ = ["PgReconcile"]

BATCH = 500

UNKNOWN_ATTEMPTS = sa.text("""
SELECT attempt_id FROM call_attempts
WHERE outcome = 'unknown' AND reconciled_at IS NULL AND ended_at >= :since
ORDER BY ended_at
LIMIT :limit
""")

CDR_ROWS = sa.text("""
SELECT uniqueid, disposition, dstchannel, start, answer, "end"
FROM asterisk_cdr
WHERE uniqueid = ANY(:uniqueids)
""").bindparams(sa.bindparam("uniqueids", type_=ARRAY(sa.Text)))

# The outcome before stays in outcome_before; ended_at becomes Asterisk's end of the call.
SETTLE_ATTEMPT = sa.text("""
UPDATE call_attempts
SET outcome_before = outcome, outcome = :outcome, reconciled_at = :now,
    ended_at = coalesce(:ended_at, ended_at), answered_at = coalesce(answered_at, :answered_at)
WHERE attempt_id = :attempt_id AND outcome = 'unknown' AND reconciled_at IS NULL
RETURNING phone_id, lead_id, created_at
""").bindparams(
    sa.bindparam("attempt_id", type_=UUID(as_uuid=True)),
    sa.bindparam("ended_at", type_=sa.DateTime(timezone=True)),
    sa.bindparam("answered_at", type_=sa.DateTime(timezone=True)),
)

# Only the lead's newest attempt speaks for its phone. No state change dials anyone: a
# connected phone still waiting for its retry (or out of retries) is done; any other
# outcome keeps the schedule unknown gave it.
SETTLE_PHONE = sa.text("""
UPDATE phone_schedule AS s
SET last_outcome = :outcome,
    state = CASE WHEN :outcome = 'connected' AND s.state IN ('scheduled', 'exhausted')
                 THEN 'done' ELSE s.state END,
    next_dial_at = CASE WHEN :outcome = 'connected' AND s.state IN ('scheduled', 'exhausted')
                        THEN NULL ELSE s.next_dial_at END,
    updated_at = :now
WHERE s.phone_id = :phone_id
  AND NOT EXISTS (
      SELECT 1 FROM call_attempts AS a
      WHERE a.lead_id = :lead_id AND a.created_at > :created_at
  )
""").bindparams(sa.bindparam("outcome", type_=sa.Text))


class PgReconcile:
    """The reconciler's storage: attempts in ``store``, CDRs in ``cdr_store`` (or ``store``)."""

    def __init__(self, store: PgStore, cdr_store: PgStore | None = None) -> None:
        self._store = store
        self._cdr_store = cdr_store or store

    async def unknown_attempts(self, since: datetime) -> list[uuid.UUID]:
        params = {"since": since, "limit": BATCH}
        async with self._store.transaction("listing unknown attempts") as connection:
            return list((await connection.execute(UNKNOWN_ATTEMPTS, params)).scalars())

    async def cdr_rows(self, attempt_ids: Sequence[uuid.UUID]) -> list[CdrRow]:
        params = {"uniqueids": [str(a) for a in attempt_ids]}
        async with self._cdr_store.transaction("reading Asterisk's CDRs") as connection:
            rows = await connection.execute(CDR_ROWS, params)
            return [_cdr_row(row) for row in rows.mappings()]

    async def record_reconciled(self, settled: Sequence[Reconciled], now: datetime) -> int:
        """Record each true outcome once; returns how many attempts changed."""
        written = 0
        async with self._store.transaction("recording reconciled outcomes") as connection:
            for item in sorted(settled, key=lambda s: s.attempt_id):  # one lock order
                params = {
                    "attempt_id": item.attempt_id,
                    "outcome": item.outcome.value,
                    "ended_at": item.ended_at,
                    "answered_at": item.answered_at,
                    "now": now,
                }
                row = (await connection.execute(SETTLE_ATTEMPT, params)).mappings().first()
                if row is None:
                    continue
                await connection.execute(SETTLE_PHONE, {**params, **{k: row[k] for k in row}})
                written += 1
        return written


def _utc(value: datetime | None) -> datetime | None:
    """cdr_pgsql writes UTC (timezone=UTC in cdr_pgsql.conf) without a zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _cdr_row(row: sa.RowMapping) -> CdrRow:
    return CdrRow(
        uniqueid=row["uniqueid"],
        disposition=row["disposition"],
        dstchannel=row["dstchannel"],
        start=_utc(row["start"]),
        answer=_utc(row["answer"]),
        end=_utc(row["end"]),
    )
