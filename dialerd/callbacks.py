"""Callback on request: the customer replied "1", so an agent calls them back, and soon.

One check for the HTTP API and the CLI (:func:`parse_ask`); the request is stored by
``PgCallbacks`` (dialerd.storage.callbacks) due at once, or when the customer's calling window
next opens, with a deadline (``callbacks.deadline_s``: dialerd.inbound_settings; 10 minutes).

Each campaign runner's :class:`CallbackDialer` dials due callbacks ahead of the predictive
flow and progressively: at most one callback dial per ready agent not already awaited by
another callback, so an agent is there when the customer answers. The attempt's outcome
settles the request: met when the customer reached an agent by the deadline. The
:class:`CallbackKeeper` settles as missed those nobody dialled in time and keeps the counts
the metrics show. docs/followups.md tells the whole story and shows the payloads.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import structlog

from dialerd.agents import AgentBoard, routed_to
from dialerd.calltrack import CallState
from dialerd.config import Campaign
from dialerd.domain import DuePhone
from dialerd.errors import DialerdError
from dialerd.followups import FollowupKind
from dialerd.ports import Clock
from dialerd.screening import reopens_at

__all__ = [
    "CallbackAsk",
    "CallbackDialer",
    "CallbackKeeper",
    "InvalidCallback",
    "NoSuchLead",
    "callback_key",
    "callback_payload",
    "callback_view",
    "deadline_of",
    "parse_ask",
    "reopens_for",
    "settled_kind",
]

SOURCES = ("api", "cli")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
SWEEP_INTERVAL_S = 2.0
log = structlog.get_logger("dialerd.callbacks")


class InvalidCallback(DialerdError):
    """A request that names no lead or a wrong one; ``field`` is the part at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__(message)


class NoSuchLead(DialerdError):
    """The campaign has no such lead, or none of its phones may be called."""


@dataclass(frozen=True, slots=True)
class CallbackAsk:
    campaign: str
    lead_id: int | None  # the lead's id in dialerd (the webhooks' lead.id)
    number: str | None  # E.164: the phone the customer replied from
    deadline_s: int
    source: str


def parse_ask(
    document: Mapping[str, Any], source: str, deadline_for: Callable[[str], int | None]
) -> CallbackAsk:
    """A checked request, or :class:`InvalidCallback` naming the field; ``deadline_for``
    gives a running campaign's deadline, None for a campaign not running here."""
    campaign = document.get("campaign")
    if not isinstance(campaign, str) or not campaign:
        raise InvalidCallback("campaign", "campaign: give the campaign's name as a string")
    deadline_s = deadline_for(campaign)
    if deadline_s is None:
        raise InvalidCallback("campaign", f"campaign {campaign!r} is not running on this daemon")
    lead_id, number = document.get("lead_id"), document.get("phone")
    if (lead_id is None) == (number is None):
        raise InvalidCallback("lead_id", "give exactly one of lead_id and phone")
    if lead_id is not None and (type(lead_id) is not int or lead_id <= 0):
        raise InvalidCallback("lead_id", f"lead_id {lead_id!r} is not a positive integer")
    if number is not None and (not isinstance(number, str) or not _E164.fullmatch(number)):
        raise InvalidCallback("phone", f"phone {number!r} is not an E.164 number (+CC...)")
    if source not in SOURCES:
        raise InvalidCallback("source", f"source {source!r} is not one of {', '.join(SOURCES)}")
    return CallbackAsk(campaign, lead_id, number, deadline_s, source)


def settled_kind(met: bool) -> FollowupKind:
    return FollowupKind.CALLBACK_DEADLINE_MET if met else FollowupKind.CALLBACK_MISSED


def callback_key(kind: FollowupKind, request_id: int) -> str:
    """One key per request and kind: a settlement written twice is one event."""
    return f"{kind.value}:callback-{request_id}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def callback_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored request as JSON (the API's answer, the payloads' ``callback``)."""
    attempt = row["attempt_id"]
    return {
        "id": row["id"],
        "requested_at": _iso(row["requested_at"]),
        "due_at": _iso(row["due_at"]),
        "deadline": _iso(row["deadline"]),
        "attempt_id": str(attempt) if attempt is not None else None,
        "dialled_at": _iso(row["dialled_at"]),
        "connected_at": _iso(row["connected_at"]),
        "outcome": row["outcome"],
        "met": row["met"],
    }


def callback_payload(kind: FollowupKind, key: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a callback event; ``row`` is the request with its lead's context."""
    return {
        "event": kind.value,
        "id": key,
        "campaign": row["campaign"],
        "lead": {
            "id": row["lead_id"],
            "external_id": row["external_id"],
            "name": row["lead_name"],
            "time_zone": row["time_zone"],
            "fields": row["fields"],
        },
        "number": row["number"],
        "callback": callback_view(row),
        "occurred_at": _iso(row["settled_at"] or row["requested_at"]),
    }


class CallbackClaims(Protocol):
    async def claim(
        self,
        campaign_id: int,
        node: str,
        limit: int,
        lease_s: float,
        now: datetime,
        *,
        agents: Collection[str] = (),
    ) -> list[DuePhone]: ...


class _Call(Protocol):
    @property
    def state(self) -> CallState: ...


class _Live(Protocol):
    @property
    def call(self) -> _Call: ...

    @property
    def phone(self) -> DuePhone: ...


class _Situation(Protocol):
    @property
    def lines_free(self) -> int: ...

    @property
    def dials_allowed_now(self) -> int: ...


class CallbackRunner(Protocol):
    """What the dialer needs of a campaign runner (dialerd.campaign.CampaignRunner)."""

    @property
    def campaign(self) -> Campaign: ...

    @property
    def campaign_id(self) -> int: ...

    @property
    def board(self) -> AgentBoard: ...

    @property
    def calls(self) -> Mapping[uuid.UUID, _Live]: ...

    @property
    def dials(self) -> int: ...

    def situation(self, now: float) -> _Situation: ...

    async def dial_batch(self, phones: Sequence[DuePhone]) -> None: ...


class TrunkShare(Protocol):
    """The trunk caps shared by campaigns (dialerd.sharing.Sharing): callbacks count too."""

    def take(self, member: Any, wanted: int, now: float) -> int: ...

    def settle(self, member: Any, granted: int, placed: int) -> None: ...


@dataclass
class CallbackDialer:
    """Dials a campaign's due callbacks, one per ready agent no callback already awaits."""

    claims: CallbackClaims | None
    node: str
    clock: Clock
    sharing: TrunkShare | None = None
    phones: set[int] = field(default_factory=set)  # callback phones dialled, until they end
    dialled: int = 0

    async def dial_round(self, runner: CallbackRunner) -> None:
        if self.claims is None:
            return
        now = self.clock.monotonic()
        live = {c.phone.phone_id: c.call.state for c in runner.calls.values()}
        self.phones &= set(live)
        awaiting = sum(1 for p in self.phones if live[p] is not CallState.CONNECTED)
        lines = runner.situation(now)
        room = min(
            runner.board.ready_count(now) - awaiting, lines.lines_free, lines.dials_allowed_now
        )
        if room <= 0:
            return
        granted = self.sharing.take(runner, room, now) if self.sharing else room
        placed = 0
        try:
            if granted > 0:
                placed = await self._claim_and_dial(runner, self.claims, granted)
        finally:
            if self.sharing is not None:
                self.sharing.settle(runner, granted, placed)

    async def _claim_and_dial(
        self, runner: CallbackRunner, claims: CallbackClaims, room: int
    ) -> int:
        lease_s = runner.campaign.lease_s
        ready = runner.board.ready_names(self.clock.monotonic())
        try:
            phones = await claims.claim(
                runner.campaign_id, self.node, room, lease_s, self.clock.now(), agents=ready
            )
        except DialerdError as exc:  # the due phones' claim will say so too
            log.warning("callbacks_unavailable", error=str(exc))
            return 0
        if not phones:
            return 0
        # an owned request goes to its agent, not to whoever the queue picks
        phones = [routed_to(p, runner.board, p.agent_name) if p.agent_name else p for p in phones]
        self.phones.update(p.phone_id for p in phones)
        self.dialled += len(phones)
        log.info("callbacks_dialling", campaign_id=runner.campaign_id, phones=len(phones))
        before = runner.dials
        await runner.dial_batch(phones)
        return runner.dials - before


class CallbackBook(Protocol):
    async def sweep(self, now: datetime, with_events: Collection[str]) -> int: ...

    async def counts(self) -> dict[tuple[str, bool], int]: ...


@dataclass
class CallbackKeeper:
    """Settles overdue requests as missed, and keeps the met and missed counts per campaign."""

    book: CallbackBook
    clock: Clock
    with_events: Callable[[], Collection[str]]  # campaigns whose follow-ups are configured
    counts: dict[tuple[str, bool], int] = field(default_factory=dict)

    async def run(self, interval_s: float = SWEEP_INTERVAL_S) -> None:
        while True:
            await self.step()
            await asyncio.sleep(interval_s)

    async def step(self) -> None:
        try:
            missed = await self.book.sweep(self.clock.now(), self.with_events())
            self.counts = await self.book.counts()
        except DialerdError as exc:  # PostgreSQL away: the counts stay as last read
            log.warning("callback_sweep_failed", error=str(exc))
            return
        if missed:
            log.info("callbacks_missed", requests=missed)

    def totals(self) -> dict[str, tuple[int, int]]:
        """(met, missed) per campaign."""
        names = sorted({name for name, _ in self.counts})
        return {n: (self.counts.get((n, True), 0), self.counts.get((n, False), 0)) for n in names}


def reopens_for(campaign: Campaign) -> Callable[[DuePhone, datetime], datetime | None]:
    """When a phone of the campaign may next be dialled (None: now), by its calling window."""
    settings = campaign.calling_window
    return lambda phone, now: reopens_at(settings, phone, now)


def deadline_of(campaign: Campaign | None) -> int | None:
    """A campaign's callback deadline in seconds; None for no campaign (none running)."""
    return campaign.callbacks.deadline_s if campaign is not None else None
