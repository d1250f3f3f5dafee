"""Attempts that ended ``unknown`` get their true outcome from Asterisk's CDR, later.

An attempt ends ``unknown`` when the daemon lost its events (AMI stalled or cut, the daemon
killed, Asterisk restarted). Asterisk wrote a CDR of the call all the same, and the CDR's
``uniqueid`` *is* the attempt id (the Originate's ``ChannelId``). With Asterisk's cdr_pgsql
writing into ``asterisk_cdr`` (docs/operations.md), a background task (:class:`Reconciler`)
reads the CDR of each such attempt and records what it proves.

What a CDR proves, the customer's (dialled) channel's row (:func:`true_outcome`):

* ``BUSY``, ``NO ANSWER``, ``CONGESTION``, ``FAILED``: that outcome, as the tracker would have.
* ``ANSWERED`` and bridged to another channel (``dstchannel`` set): ``connected``. dialerd's
  dialplan bridges an answered customer to nobody but a queue member.
* ``ANSWERED`` and never bridged: ``abandoned``. Nobody took the call (the 2-second grace ran
  out, or the customer hung up waiting): an answered call no agent reached is an abandoned
  call, whatever else it was; counting it so keeps the abandon rate on the safe side. An
  answering machine a dialplan's AMD hung up on reads the same (the CDR does not say).

Recording the true outcome never dials anyone: the phone keeps the schedule ``unknown`` gave it
(an hour later), except that a ``connected`` phone still waiting for that retry becomes ``done``
(the storage adapter, ``dialerd/storage/reconcile_sql.py``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from dialerd.domain import Outcome
from dialerd.errors import DialerdError

__all__ = ["CdrRow", "Reconciled", "Reconciler", "reconcile", "true_outcome"]

log = structlog.get_logger("dialerd.reconcile")

_BY_DISPOSITION = {
    "BUSY": Outcome.BUSY,
    "NO ANSWER": Outcome.NO_ANSWER,
    "CONGESTION": Outcome.CONGESTION,
    "FAILED": Outcome.FAILED,
}


@dataclass(frozen=True, slots=True)
class CdrRow:
    """What the reconciler reads of one CDR row (times UTC)."""

    uniqueid: str
    disposition: str
    dstchannel: str
    start: datetime | None
    answer: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Reconciled:
    """The true end of an attempt that ended ``unknown``."""

    attempt_id: uuid.UUID
    outcome: Outcome
    ended_at: datetime | None
    answered_at: datetime | None


def true_outcome(row: CdrRow) -> Outcome | None:
    """The outcome a CDR row proves; None for a disposition this does not know."""
    disposition = row.disposition.strip().upper()
    if disposition == "ANSWERED":
        return Outcome.CONNECTED if row.dstchannel.strip() else Outcome.ABANDONED
    return _BY_DISPOSITION.get(disposition)


def reconcile(attempt_ids: Sequence[uuid.UUID], rows: Sequence[CdrRow]) -> list[Reconciled]:
    """The attempts whose CDR row settles them.

    An attempt with several rows (a call forked, or written twice) is settled by the one that
    proves the most, connected first, then any answer: one row per attempt is the rule.
    """
    by_id: dict[str, list[CdrRow]] = {}
    for row in rows:
        by_id.setdefault(row.uniqueid, []).append(row)
    settled = []
    for attempt_id in attempt_ids:
        found = [(o, r) for r in by_id.get(str(attempt_id), []) if (o := true_outcome(r))]
        if not found:
            continue
        outcome, row = min(found, key=lambda pair: _RANK.index(pair[0]))
        answered = row.answer if outcome in (Outcome.CONNECTED, Outcome.ABANDONED) else None
        settled.append(Reconciled(attempt_id, outcome, row.end, answered))
    return settled


_RANK = (
    Outcome.CONNECTED,
    Outcome.ABANDONED,
    Outcome.BUSY,
    Outcome.NO_ANSWER,
    Outcome.CONGESTION,
    Outcome.FAILED,
)


class ReconcileStore(Protocol):
    async def unknown_attempts(self, since: datetime) -> list[uuid.UUID]: ...

    async def cdr_rows(self, attempt_ids: Sequence[uuid.UUID]) -> list[CdrRow]: ...

    async def record_reconciled(self, settled: Sequence[Reconciled], now: datetime) -> int: ...


class Reconciler:
    """Every ``interval_s``, settles the ``unknown`` attempts that ended within ``lookback_h``."""

    def __init__(
        self,
        store: ReconcileStore,
        now: Callable[[], datetime],
        *,
        interval_s: float = 30.0,
        lookback_h: float = 24.0,
    ) -> None:
        self._store = store
        self._now = now
        self._interval_s = interval_s
        self._lookback = timedelta(hours=lookback_h)
        self.reconciled = 0

    async def run(self) -> None:
        """Until cancelled; a database error is logged and the next round tries again."""
        while True:
            try:
                await self.once()
            except DialerdError as exc:
                log.warning("reconcile_failed", error=str(exc))
            await asyncio.sleep(self._interval_s)

    async def once(self) -> int:
        """One round; returns how many attempts it settled."""
        now = self._now()
        attempt_ids = await self._store.unknown_attempts(now - self._lookback)
        if not attempt_ids:
            return 0
        settled = reconcile(attempt_ids, await self._store.cdr_rows(attempt_ids))
        written = await self._store.record_reconciled(settled, now) if settled else 0
        self.reconciled += written
        if written:
            log.info("attempts_reconciled_from_cdr", unknown=len(attempt_ids), settled=written)
        return written
