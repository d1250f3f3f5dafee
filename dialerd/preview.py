"""Preview mode's agent side: an agent asks for the next lead, sees it, then dials or skips.

``POST /preview/next`` claims one due phone of a ``mode: preview`` campaign for the asking
agent: a lease of the phone (as any dial's claim) that lasts ``preview.reserve_s``, so no
other agent, node or campaign runner takes the lead meanwhile. ``POST /preview/dial``
dials it through the campaign runner's usual path (do-not-call lists, limits, calling
window, caller ID), ``POST /preview/skip`` gives it back (``scheduled`` again, due as it
was). A hold not dialled in time is given back by :meth:`PreviewDesk.run`; and if this
daemon dies, the lease simply runs out and any node claims the phone again.
docs/api.md#preview shows the bodies and answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import structlog

from dialerd.agents import AgentBoard, routed_to
from dialerd.config import Campaign
from dialerd.domain import DuePhone
from dialerd.errors import DialerdError
from dialerd.http import BadRequest, PostHandler, Response, json_response
from dialerd.ports import Clock
from dialerd.preview_settings import PreviewSettings
from dialerd.reasons import Batch

__all__ = ["Hold", "PreviewDesk"]

T = TypeVar("T")
SWEEP_INTERVAL_S = 1.0
_MAX_AGENT = 80
log = structlog.get_logger("dialerd.preview")


class PreviewStore(Protocol):
    async def claim_due_phones(
        self, campaign_id: int, node: str, limit: int, lease_s: float, now: datetime
    ) -> list[DuePhone]: ...

    async def release_leases(self, node: str, phone_ids: Sequence[int]) -> int: ...


class _Live(Protocol):
    @property
    def phone(self) -> DuePhone: ...


class PreviewRunner(Protocol):
    """What the desk needs of a campaign runner (dialerd.campaign.CampaignRunner)."""

    @property
    def campaign(self) -> Campaign: ...

    @property
    def board(self) -> AgentBoard: ...

    @property
    def campaign_id(self) -> int: ...

    @property
    def calls(self) -> Mapping[uuid.UUID, _Live]: ...

    @property
    def last_batch(self) -> Batch | None: ...

    async def dial_batch(self, phones: Sequence[DuePhone]) -> None: ...


@dataclass(frozen=True, slots=True)
class Hold:
    """A lead reserved for one agent until ``until``."""

    hold_id: uuid.UUID
    campaign: str
    agent: str
    phone: DuePhone
    until: datetime

    def document(self) -> dict[str, Any]:
        phone = self.phone
        return {
            "reservation_id": str(self.hold_id),
            "campaign": self.campaign,
            "agent": self.agent,
            "reserved_until": self.until.isoformat(),
            "lead": {
                "id": phone.lead_id,
                "external_id": phone.external_id,
                "name": phone.lead_name,
                "time_zone": phone.time_zone,
                "fields": dict(phone.fields),
            },
            "number": phone.number,
            "phone_type": phone.phone_type.value,
            "attempts": {"phone": phone.attempts, "lead": phone.lead_attempts},
        }


class PreviewDesk:
    """The holds this daemon handed out, and the three POSTs over them."""

    def __init__(
        self,
        store: PreviewStore,
        node: str,
        clock: Clock,
        runners: Callable[[], Mapping[str, PreviewRunner]],
    ) -> None:
        self._store, self._node, self._clock, self._runners = store, node, clock, runners
        self.holds: dict[uuid.UUID, Hold] = {}

    def routes(self) -> dict[str, PostHandler]:
        return {"/preview/next": self.next, "/preview/dial": self.dial, "/preview/skip": self.skip}

    async def next(self, body: dict[str, Any]) -> Response:
        """``{"campaign", "agent"}``: 201 with a newly reserved lead, 200 with the one the
        agent already holds; 404 when no lead is due."""
        runner, agent = self._runner(body), _agent(body)
        await self.expire()
        held = next((h for h in self.holds.values() if (h.campaign, h.agent) == (
            runner.campaign.name, agent)), None)  # fmt: skip
        if held is not None:
            return json_response(held.document(), 200)
        reserve_s = _settings(runner.campaign).reserve_s
        now = self._clock.now()
        phones = await _unavailable_as_503(
            self._store.claim_due_phones(runner.campaign_id, self._node, 1, reserve_s, now)
        )
        if not phones:
            raise BadRequest(f"no lead is due in {runner.campaign.name}", "campaign", 404)
        until = now + timedelta(seconds=reserve_s)
        hold = Hold(uuid.uuid4(), runner.campaign.name, agent, phones[0], until)
        self.holds[hold.hold_id] = hold
        log.info(
            "preview_reserved", campaign=hold.campaign, agent=agent, lead_id=hold.phone.lead_id
        )
        return json_response(hold.document(), 201)

    async def dial(self, body: dict[str, Any]) -> Response:
        """``{"reservation_id", "agent"}``: 201 with the attempt's id once the call is placed;
        409 when the screening did not let it be dialled (the answer says why)."""
        hold = await self._hold(body)
        del self.holds[hold.hold_id]
        runner = self._runners().get(hold.campaign)
        if runner is None:
            await self._give_back(hold)
            raise BadRequest(f"campaign {hold.campaign!r} is no longer running", "campaign", 404)
        phone = routed_to(hold.phone, runner.board, hold.agent)  # the call goes to this agent
        if phone.agent_interface is None:
            log.warning("preview_agent_not_in_queue", agent=hold.agent, queue=runner.board.queue)
        await runner.dial_batch([phone])
        attempt = next(
            (a for a, live in runner.calls.items() if live.phone.phone_id == hold.phone.phone_id),
            None,
        )
        if attempt is None:
            raise BadRequest(f"not dialled: {_why_not(runner.last_batch)}", "reservation_id", 409)
        log.info("preview_dialled", campaign=hold.campaign, agent=hold.agent, attempt=str(attempt))
        document = {"attempt_id": str(attempt), "reservation_id": str(hold.hold_id)}
        return json_response(document | {"number": hold.phone.number}, 201)

    async def skip(self, body: dict[str, Any]) -> Response:
        """``{"reservation_id", "agent"}``: the lead goes back, due as it was (200)."""
        hold = await self._hold(body)
        del self.holds[hold.hold_id]
        await _unavailable_as_503(self._give_back(hold))
        log.info("preview_skipped", campaign=hold.campaign, agent=hold.agent)
        return json_response({"reservation_id": str(hold.hold_id), "released": True}, 200)

    async def run(self, interval_s: float = SWEEP_INTERVAL_S) -> None:
        """Give back the holds not dialled in time, until cancelled."""
        while True:
            await self.expire()
            await asyncio.sleep(interval_s)

    async def expire(self) -> None:
        now = self._clock.now()
        for hold in [h for h in self.holds.values() if h.until <= now]:
            del self.holds[hold.hold_id]
            log.info("preview_reservation_expired", campaign=hold.campaign, agent=hold.agent)
            with contextlib.suppress(DialerdError):  # else the lease runs out by itself
                await self._give_back(hold)

    async def _give_back(self, hold: Hold) -> None:
        await self._store.release_leases(self._node, [hold.phone.phone_id])

    def _runner(self, body: Mapping[str, Any]) -> PreviewRunner:
        name = body.get("campaign")
        if not isinstance(name, str) or not name:
            raise BadRequest("campaign: give the campaign's name as a string", "campaign")
        runner = self._runners().get(name)
        if runner is None:
            raise BadRequest(f"campaign {name!r} is not running on this daemon", "campaign", 404)
        if runner.campaign.mode != "preview":
            message = f"campaign {name!r} is in {runner.campaign.mode} mode, not preview"
            raise BadRequest(message, "campaign", 409)
        return runner

    async def _hold(self, body: Mapping[str, Any]) -> Hold:
        agent = _agent(body)
        text = body.get("reservation_id")
        try:
            hold_id = uuid.UUID(text) if isinstance(text, str) else None
        except ValueError:
            hold_id = None
        if hold_id is None:
            raise BadRequest("reservation_id: give the id /preview/next answered", "reservation_id")
        await self.expire()
        hold = self.holds.get(hold_id)
        if hold is None:
            message = f"no reservation {hold_id}: it expired, or was dialled or skipped"
            raise BadRequest(message, "reservation_id", 404)
        if hold.agent != agent:
            raise BadRequest(f"reservation {hold_id} is {hold.agent}'s", "agent", 409)
        return hold


def _settings(campaign: Campaign) -> PreviewSettings:
    return campaign.preview or PreviewSettings()


def _agent(body: Mapping[str, Any]) -> str:
    agent = body.get("agent")
    if not isinstance(agent, str) or not agent.strip():
        raise BadRequest("agent: give the agent's name as a string", "agent")
    if len(agent.strip()) > _MAX_AGENT:
        raise BadRequest(f"agent name longer than {_MAX_AGENT} characters", "agent")
    return agent.strip()


def _why_not(batch: Batch | None) -> str:
    if batch is None:
        return "the campaign did not dial it"
    if batch.blocked:
        return "the number is on a do-not-call list"
    if batch.limited:
        return "an attempt limit holds it back"
    if batch.outside_window:
        return "outside the customer's calling window"
    if batch.no_caller_id:
        return f"no caller ID available: {batch.caller_id_reason}"
    return "the attempt could not be created (see the daemon's log)"


async def _unavailable_as_503(work: Awaitable[T]) -> T:
    try:
        result = await work
    except DialerdError as exc:
        raise BadRequest(f"database unavailable, try again: {exc}", status=503) from None
    return result
