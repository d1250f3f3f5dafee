"""Dispositions: what an agent says came of a call (``sale``, ``callback``, ...).

Three ways in, one check (:func:`parse_disposition`) and one store method
(``PgDispositions.record``):

* the dialplan, or a CRM through AMI, sends the user event ``DialerdDisposition`` with the
  headers ``Attempt`` (the attempt id), ``Disposition`` (the code), ``Agent`` and ``Note``; the
  daemon sees it among its AMI events and :class:`DispositionRecorder` writes it;
* ``dialerd disposition ATTEMPT_ID CODE [--agent A] [--note TEXT]``, for an admin;
* the HTTP API (source ``api``).

A code is lower case letters, digits, ``_`` and ``-``, up to 40 characters; it is stored lower
case. Five codes act on the lead as they are recorded (:func:`act_of`, docs/agents.md):
``sale`` and ``not_interested`` close it, ``callback`` with a time books a callback, ``dnc``
puts the number on the global do-not-call list, ``wrong_number`` stops that phone. Any other
code is the centre's own note. Only ``sale`` means something to the reports (docs/reports.md).
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from ami import Event
from dialerd.disposition_codes import Act, act_of
from dialerd.domain import Disposition, RecordedDisposition
from dialerd.errors import DialerdError
from dialerd.storage import StorageError, StorageUnavailable

__all__ = [
    "DISPOSITION_EVENT",
    "Act",
    "DispositionRecorder",
    "InvalidDisposition",
    "act_of",
    "from_user_event",
    "is_disposition",
    "parse_disposition",
]

DISPOSITION_EVENT = "DialerdDisposition"
SOURCES = ("ami", "cli", "api")
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # as ck_dispositions_disposition
_MAX_AGENT = 80
_MAX_NOTE = 1000
_MAX_AHEAD = timedelta(days=366)  # a callback booked further ahead is a typo
OWNERS = ("anyone", "agent")
log = structlog.get_logger("dialerd.dispositions")


class InvalidDisposition(DialerdError):
    """A disposition that cannot be recorded as it is: the message says which part and why,
    ``field`` names it as the HTTP API's body does (attempt_id, disposition, agent, note)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DispositionLog(Protocol):
    async def record(self, disposition: Disposition) -> RecordedDisposition: ...


def parse_disposition(
    attempt_id: str,
    code: str,
    agent: str | None,
    note: str | None,
    source: str,
    *,
    callback_at: str | None = None,
    owner: str | None = None,
    now: datetime | None = None,
) -> Disposition:
    """A checked disposition, or :class:`InvalidDisposition` saying what is wrong.

    ``callback_at`` is an ISO 8601 time with its UTC offset (``2026-12-03T15:00:00+00:00``),
    for the code ``callback`` only; ``owner`` is ``anyone`` (the default) or ``agent`` (the
    callback is the agent's own: needs ``agent``). ``now`` bounds the time (a year ahead)."""
    try:
        parsed_id = uuid.UUID(attempt_id.strip())
    except ValueError:
        raise InvalidDisposition(f"attempt id {attempt_id!r} is not a UUID", "attempt_id") from None
    clean_code = code.strip().lower()
    if not _CODE.fullmatch(clean_code):
        raise InvalidDisposition(
            f"disposition {code!r}: use letters, digits, _ or -, up to 40 characters",
            "disposition",
        )
    clean_agent = (agent or "").strip() or None
    if clean_agent is not None and len(clean_agent) > _MAX_AGENT:
        raise InvalidDisposition(f"agent name longer than {_MAX_AGENT} characters", "agent")
    clean_note = (note or "").strip()
    if len(clean_note) > _MAX_NOTE:
        raise InvalidDisposition(f"note longer than {_MAX_NOTE} characters", "note")
    if source not in SOURCES:
        raise InvalidDisposition(f"source {source!r} is not one of {', '.join(SOURCES)}", "source")
    at = _callback_time(callback_at, clean_code, now)
    owned = _owned(owner, at, clean_agent)
    return Disposition(parsed_id, clean_code, clean_agent, clean_note, source, at, owned)


def _callback_time(text: str | None, code: str, now: datetime | None) -> datetime | None:
    clean = (text or "").strip()
    if not clean:
        return None
    if code != "callback":
        raise InvalidDisposition(
            f"callback_at is for the disposition callback, not {code!r}", "callback_at"
        )
    try:
        at = datetime.fromisoformat(clean)
    except ValueError:
        raise InvalidDisposition(
            f"callback_at {clean!r} is not an ISO 8601 time (2026-12-03T15:00:00+00:00)",
            "callback_at",
        ) from None
    if at.tzinfo is None:
        raise InvalidDisposition(
            f"callback_at {clean!r} has no UTC offset (add +00:00, or the zone's)", "callback_at"
        )
    if now is not None and at > now + _MAX_AHEAD:
        raise InvalidDisposition(f"callback_at {clean!r} is more than a year ahead", "callback_at")
    return at


def _owned(owner: str | None, at: datetime | None, agent: str | None) -> bool:
    clean = (owner or "").strip().lower() or "anyone"
    if clean not in OWNERS:
        raise InvalidDisposition(f"owner {owner!r} is not one of {', '.join(OWNERS)}", "owner")
    if clean == "agent" and at is None:
        raise InvalidDisposition("owner agent is for a callback with a callback_at", "owner")
    if clean == "agent" and agent is None:
        raise InvalidDisposition("owner agent needs the agent's name (agent)", "owner")
    return clean == "agent"


def is_disposition(event: Event) -> bool:
    return event.name == "UserEvent" and event.get("UserEvent") == DISPOSITION_EVENT


def from_user_event(event: Event) -> Disposition:
    """The disposition a ``DialerdDisposition`` user event carries."""
    attempt = event.get("Attempt")
    code = event.get("Disposition")
    if not attempt or not code:
        raise InvalidDisposition("the user event needs an Attempt and a Disposition header")
    return parse_disposition(
        attempt,
        code,
        event.get("Agent"),
        event.get("Note"),
        "ami",
        callback_at=event.get("CallbackAt"),
        owner=event.get("Owner"),
    )


class DispositionRecorder:
    """Writes the dispositions the AMI event pump hands it, in order, one at a time.

    ``offer`` never blocks. A write that fails because PostgreSQL is away is retried with
    backoff; a disposition that cannot be recorded (bad header, unknown attempt) is logged
    with everything it said, so an admin can enter it with ``dialerd disposition``.
    """

    def __init__(self, dispositions: DispositionLog, max_backoff_s: float = 5.0) -> None:
        self._dispositions = dispositions
        self._max_backoff_s = max_backoff_s
        self._queue: asyncio.Queue[Disposition] = asyncio.Queue()
        self.recorded = 0
        self.rejected = 0

    def offer(self, event: Event) -> None:
        try:
            self._queue.put_nowait(from_user_event(event))
        except InvalidDisposition as exc:
            self.rejected += 1
            log.warning("disposition_rejected", reason=str(exc), headers=dict(event.headers))

    async def run(self) -> None:
        """Record until cancelled; what is still queued then is logged, not dropped silently."""
        try:
            while True:
                disposition = await self._queue.get()
                await self._record(disposition)
        finally:
            while not self._queue.empty():
                left = self._queue.get_nowait()
                log.error("disposition_not_recorded", **_fields(left))

    async def _record(self, disposition: Disposition) -> None:
        backoff_s = 0.2
        while True:
            try:
                recorded = await self._dispositions.record(disposition)
            except StorageUnavailable as exc:
                log.warning("disposition_write_failed", error=str(exc), **_fields(disposition))
                await asyncio.sleep(backoff_s * (0.5 + random.random()))  # noqa: S311 - jitter
                backoff_s = min(backoff_s * 2, self._max_backoff_s)
                continue
            except StorageError as exc:  # an unknown attempt, a refused row: retrying won't help
                self.rejected += 1
                log.warning("disposition_rejected", reason=str(exc), **_fields(disposition))
                return
            self.recorded += 1
            log.info(
                "disposition_recorded",
                id=recorded.disposition_id,
                act=act_of(disposition).value,
                **_fields(disposition),
            )
            return


def _fields(disposition: Disposition) -> dict[str, object]:
    return {
        "attempt_id": str(disposition.attempt_id),
        "disposition": disposition.code,
        "agent": disposition.agent,
        "note": disposition.note,
        "callback_at": disposition.callback_at.isoformat() if disposition.callback_at else None,
        "owned": disposition.owned,
    }
