"""PgDispositions: agents' outcomes of calls, one row each, newest per attempt wins.

A history, never an update: an agent who picked the wrong code sends the right one, and both
stay in ``dispositions``; the reports read ``latest_dispositions``. The daemon (AMI user
events), ``dialerd disposition`` and the HTTP API all record through :meth:`record`, which
also does what the code says to the lead (dialerd.storage.disposition_acts) in the same
transaction.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from dialerd.domain import Disposition, RecordedDisposition
from dialerd.storage.disposition_acts import DeadlineFor, act
from dialerd.storage.errors import StorageError
from dialerd.storage.store import PgStore

__all__ = ["PgDispositions", "UnknownAttempt"]

# The attempt must exist: inserting through a SELECT says so with no row, instead of a
# foreign-key violation to pick apart.
_RECORD = sa.text("""
INSERT INTO dispositions (attempt_id, disposition, agent, note, source, callback_at)
SELECT attempt_id, :code, :agent, :note, :source, CAST(:callback_at AS timestamptz)
FROM call_attempts WHERE attempt_id = :attempt_id
RETURNING id, created_at
""").bindparams(sa.bindparam("attempt_id", type_=UUID(as_uuid=True)))


class UnknownAttempt(StorageError):
    """No call attempt has this id: the disposition names a call dialerd never placed."""

    def __init__(self, attempt_id: uuid.UUID) -> None:
        self.attempt_id = attempt_id
        super().__init__(f"no call attempt {attempt_id}: disposition not recorded")


class PgDispositions:
    """Dispositions in PostgreSQL, through a `PgStore`'s connection pool."""

    def __init__(self, store: PgStore, deadline_for: DeadlineFor | None = None) -> None:
        self._store = store
        self._deadline_for: DeadlineFor = deadline_for or (lambda _campaign: None)

    async def record(self, disposition: Disposition) -> RecordedDisposition:
        """Store it; raises :class:`UnknownAttempt` (and stores nothing) for an unknown id."""
        params = {
            "attempt_id": disposition.attempt_id,
            "code": disposition.code,
            "agent": disposition.agent,
            "note": disposition.note,
            "source": disposition.source,
            "callback_at": disposition.callback_at,
        }
        async with self._store.transaction("recording a disposition") as connection:
            row = (await connection.execute(_RECORD, params)).first()
            if row is None:
                raise UnknownAttempt(disposition.attempt_id)
            done = await act(
                connection,
                disposition,
                row.created_at,
                self._deadline_for,
                self._store.followup_rules.keys(),
            )
        return RecordedDisposition(row.id, disposition, row.created_at, done.value)
