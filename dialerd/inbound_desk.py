"""The inbound desk: answers the snippet's questions about calls to caller-ID pool numbers.

The dialplan (context ``dialerd-inbound``) sends three user events, which the AMI event pump
hands to :meth:`InboundDesk.offer`:

* ``DialerdInbound`` (Channel, Called, Caller): who is this? The desk looks the caller up,
  chooses the route (:func:`dialerd.inbound.choose_route`), stores the call in
  ``inbound_calls``, teaches the caller-ID store that this customer calls back to this
  number (affinity), and sets the route's variables on the channel with AMI ``Setvar``,
  DIALERD_ROUTE last: the dialplan waits for that one (3 s, then takes its own fallback);
* ``DialerdOptOut`` (Channel, Inbound, Called, Caller): the caller pressed the opt-out key.
  The number goes on the global do-not-call list; DIALERD_OPTED_OUT=1 tells the dialplan to
  confirm it, 0 that it could not be written in time (the desk goes on trying until it is);
* ``DialerdCallbackRequest`` (Channel, Inbound, Called, Caller): the caller pressed the
  callback key. Their phone in the campaign that called them is made due at the next opening
  of its agent hours (:func:`dialerd.inbound.callback_time`); DIALERD_CALLBACK_SET=1 tells the
  dialplan to confirm it, 0 that it could not be booked;
* ``DialerdInboundEnded`` (Inbound, Outcome): how the call ended. An agent who took it is
  known from the queue's own ``AgentConnect`` event for the call's Uniqueid.

Each event is handled in its own task, so a slow lookup never holds up another caller.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import structlog

from ami import AmiClient, AmiError, Event
from caller_id_pool import CallerIdError
from dialerd.config import Campaign
from dialerd.dnc_rows import DncRequest
from dialerd.inbound import (
    CALLBACK_EVENT,
    ENDED_EVENT,
    INBOUND_EVENT,
    INBOUND_EVENTS,
    OPT_OUT_EVENT,
    CallerMatch,
    InboundOutcome,
    Route,
    callback_time,
    caller_number,
    caller_zone,
    choose_route,
    chosen_time,
    route_variables,
)
from dialerd.inbound_settings import InboundSettings
from dialerd.storage import StorageError
from dialerd.storage.inbound import InboundCall

__all__ = ["InboundDesk", "is_inbound"]

log = structlog.get_logger("dialerd.inbound")
OPT_OUT_ANSWER_S = 2.5  # the dialplan waits 3 s for DIALERD_OPTED_OUT


class InboundLog(Protocol):
    async def find_caller(self, number: str, called: str) -> CallerMatch | None: ...
    async def record(self, call: InboundCall, match: CallerMatch | None, route: Route) -> int: ...
    async def finish(
        self,
        inbound_id: int,
        outcome: InboundOutcome | None,
        agent: str | None,
        ended_at: datetime | None,
    ) -> bool: ...
    async def schedule_callback(
        self, lead_id: int, campaign_id: int, number: str, at: datetime
    ) -> str | None: ...


class DncList(Protocol):
    async def add(self, campaign: str | None, requests: Sequence[DncRequest]) -> int: ...


class Channels(Protocol):
    async def set_variables(self, channel: str, variables: Sequence[tuple[str, str]]) -> None: ...


class Affinity(Protocol):
    async def record_answer(self, customer_id: str, number: str) -> None: ...


class AmiChannels:
    """Channel variables through AMI ``Setvar``, one action each, in order."""

    def __init__(self, ami: AmiClient) -> None:
        self._ami = ami

    async def set_variables(self, channel: str, variables: Sequence[tuple[str, str]]) -> None:
        for name, value in variables:
            headers = {"Channel": channel, "Variable": name, "Value": value}
            (await self._ami.send_action("Setvar", headers)).raise_for_error()


def is_inbound(event: Event) -> bool:
    return event.name == "UserEvent" and event.get("UserEvent") in INBOUND_EVENTS


AGENT_CONNECT = "AgentConnect"


class InboundDesk:
    def __init__(
        self,
        log_: InboundLog,
        dnc: DncList,
        channels: Channels,
        *,
        affinity: Affinity | None,
        world: Callable[[], tuple[Mapping[str, Campaign], Mapping[str, int]]],
        settings: InboundSettings,
        node: str,
        now: Callable[[], datetime],
    ) -> None:
        self._log, self._dnc, self._channels, self._affinity = log_, dnc, channels, affinity
        self._world, self.settings, self._node, self._now = world, settings, node, now
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._live: dict[str, int] = {}  # Uniqueid -> inbound id, until the call ends
        self._agents: dict[int, str] = {}  # inbound id -> the agent who took it
        self.routed = 0
        self.opted_out = 0

    def wants(self, event: Event) -> bool:
        """The snippet's user events, and the queue's AgentConnect for a routed call."""
        if event.name == AGENT_CONNECT:
            return (event.get("Uniqueid") or "") in self._live
        return is_inbound(event)

    def offer(self, event: Event) -> None:
        self._events.put_nowait(event)

    async def run(self) -> None:
        handlers = {
            INBOUND_EVENT: self._route,
            OPT_OUT_EVENT: self._opt_out,
            CALLBACK_EVENT: self._callback,
            ENDED_EVENT: self._end,
            AGENT_CONNECT: self._connected,
        }
        async with asyncio.TaskGroup() as group:
            while True:
                event = await self._events.get()
                kind = event.name if event.name == AGENT_CONNECT else event.get("UserEvent")
                group.create_task(self._guarded(handlers[kind or ""], event))

    async def _guarded(self, handler: Callable[[Event], Awaitable[None]], event: Event) -> None:
        try:
            await handler(event)
        except AmiError as exc:  # the channel hung up meanwhile, or AMI went away
            log.warning("inbound_channel_not_told", error=str(exc), channel=event.get("Channel"))
        except Exception:  # one bad call never stops the desk, nor the daemon
            log.exception("inbound_event_failed", headers=dict(event.headers))

    # ---- a call arrives --------------------------------------------------------------

    async def _route(self, event: Event) -> None:
        call = self._call(event)
        match = await self._find_number(call.caller, call.called)
        campaigns, agents_in = self._world()
        route = choose_route(match, campaigns, agents_in, self.settings, call.started_at)
        inbound_id = await self._record(call, match, route)
        if inbound_id:
            self._live[call.uniqueid] = inbound_id
        await self._channels.set_variables(
            event.get("Channel") or "", route_variables(route, match, inbound_id, self.settings)
        )
        self.routed += 1
        log.info(
            "inbound_call_routed",
            inbound_id=inbound_id,
            called=call.called,
            caller=call.caller,
            lead_id=match.lead_id if match else None,
            campaign=match.campaign if match else None,
            route=route.kind.value,
            queue=route.queue,
            reason=route.reason,
        )
        if match is not None:
            await self._learn(match.lead_id, call.called)

    def _call(self, event: Event) -> InboundCall:
        raw_called = (event.get("Called") or "").strip()
        called = caller_number(raw_called, raw_called) or raw_called
        raw_caller = (event.get("Caller") or "").strip()[:80]  # the caller chose it
        return InboundCall(
            uniqueid=event.get("Uniqueid") or "",
            called=called,
            caller=caller_number(raw_caller, called),
            caller_raw=raw_caller,
            node=self._node,
            started_at=self._now(),
        )

    async def _record(self, call: InboundCall, match: CallerMatch | None, route: Route) -> int:
        try:
            return await self._log.record(call, match, route)
        except StorageError as exc:  # the call is still routed; the log keeps what it was
            log.error(
                "inbound_call_not_recorded",
                error=str(exc),
                uniqueid=call.uniqueid,
                called=call.called,
                caller=call.caller,
                lead_id=match.lead_id if match else None,
                route=route.kind.value,
            )
            return 0

    async def _learn(self, lead_id: int, called: str) -> None:
        if self._affinity is None:
            return
        try:
            await self._affinity.record_answer(str(lead_id), called)
        except CallerIdError as exc:  # affinity is a preference: the call goes on
            log.warning("caller_id_callback_not_recorded", error=str(exc))

    # ---- the caller opts out ---------------------------------------------------------

    async def _opt_out(self, event: Event) -> None:
        called = caller_number(event.get("Called") or "", event.get("Called") or "") or ""
        caller = caller_number(event.get("Caller") or "", called)
        inbound_id = _int(event.get("Inbound"))
        channel = event.get("Channel") or ""
        if caller is None:
            log.error("opt_out_without_number", inbound_id=inbound_id, caller=event.get("Caller"))
            await self._channels.set_variables(channel, [("DIALERD_OPTED_OUT", "0")])
            return
        if inbound_id:  # first: the row then shows the request even if the entry never lands
            await self._finish(inbound_id, InboundOutcome.OPTED_OUT, None, None)
        request = DncRequest(caller, None, f"opted out calling back {called}")
        writing = asyncio.ensure_future(self._add_until_written(request, inbound_id))
        done, _ = await asyncio.wait({writing}, timeout=OPT_OUT_ANSWER_S)
        await self._channels.set_variables(channel, [("DIALERD_OPTED_OUT", "1" if done else "0")])
        await writing  # never given up: a caller who opted out is never dialled again

    async def _add_until_written(self, request: DncRequest, inbound_id: int) -> None:
        backoff_s = 0.2
        while True:
            try:
                await self._dnc.add(None, [request])
            except asyncio.CancelledError:  # the daemon stops: say so; docs/callbacks.md has
                log.error("opt_out_not_written", inbound_id=inbound_id)  # the query to find it
                raise
            except StorageError as exc:
                log.warning("opt_out_write_failed", error=str(exc), inbound_id=inbound_id)
                await asyncio.sleep(backoff_s * (0.5 + random.random()))  # noqa: S311 - jitter
                backoff_s = min(backoff_s * 2, 5.0)
                continue
            self.opted_out += 1
            log.info("caller_opted_out", inbound_id=inbound_id, number=request.number)
            return

    # ---- the caller asks to be called back ---------------------------------------------

    async def _callback(self, event: Event) -> None:
        called = caller_number(event.get("Called") or "", event.get("Called") or "") or ""
        caller = caller_number(event.get("Caller") or "", called)
        inbound_id = _int(event.get("Inbound"))
        why_not = await self._book(caller, called, event.get("At") or "")
        if why_not is None and inbound_id:
            await self._finish(inbound_id, InboundOutcome.CALLBACK_REQUESTED, None, None)
        elif why_not is not None:
            log.warning("callback_not_booked", inbound_id=inbound_id, reason=why_not)
        answer = "1" if why_not is None else "0"
        await self._channels.set_variables(
            event.get("Channel") or "", [("DIALERD_CALLBACK_SET", answer)]
        )

    async def _book(self, caller: str | None, called: str, digits: str) -> str | None:
        """None when the caller's phone is due at the callback time, else why not."""
        match = await self._find_number(caller, called)
        if match is None or caller is None:
            return "an unknown caller"
        campaign = self._world()[0].get(match.campaign)
        if campaign is None:
            return f"campaign {match.campaign} is not configured"
        now = self._now()
        chosen = chosen_time(digits, caller_zone(campaign, caller), now)
        if digits and chosen is None:
            log.info("callback_time_not_understood", digits=digits)  # the next opening then
        at = callback_time(campaign, now, chosen)
        if at is None:
            return "the campaign's agent hours never open"
        try:
            why_not = await self._log.schedule_callback(
                match.lead_id, match.campaign_id, caller, at
            )
        except StorageError as exc:
            return f"database: {exc}"
        if why_not is None:
            log.info("callback_booked", lead_id=match.lead_id, campaign=match.campaign, at=at)
        return why_not

    async def _find_number(self, caller: str | None, called: str) -> CallerMatch | None:
        if caller is None:
            return None
        try:
            return await self._log.find_caller(caller, called)
        except StorageError as exc:  # route as unknown rather than leave the caller waiting
            log.error("inbound_lookup_failed", error=str(exc), caller=caller)
            return None

    # ---- an agent takes it, the call ends -----------------------------------------------

    async def _connected(self, event: Event) -> None:
        inbound_id = self._live.get(event.get("Uniqueid") or "")
        if inbound_id is None:
            return
        agent = event.get("MemberName") or event.get("Interface") or "?"
        self._agents[inbound_id] = agent
        log.info("inbound_call_answered", inbound_id=inbound_id, agent=agent)
        await self._finish(inbound_id, InboundOutcome.ANSWERED, agent, None)

    async def _end(self, event: Event) -> None:
        """How it ended; a caller who hung up before the route was set has no Inbound header,
        and keeps the outcome stored at routing (only ended_at is set)."""
        uniqueid = event.get("Uniqueid") or ""
        inbound_id = _int(event.get("Inbound")) or self._live.get(uniqueid, 0)
        self._live.pop(uniqueid, None)
        if not inbound_id:
            return  # not recorded at routing (logged then) or routed without the daemon
        agent = self._agents.pop(inbound_id, None)
        said = event.get("Outcome") or ""
        outcome: InboundOutcome | None = None
        if said in {InboundOutcome.OPTED_OUT.value, InboundOutcome.CALLBACK_REQUESTED.value}:
            outcome = InboundOutcome(said)
        elif agent is not None:
            outcome = InboundOutcome.ANSWERED
        elif said in {InboundOutcome.MESSAGE.value, InboundOutcome.QUEUED.value}:
            outcome = InboundOutcome(said)
        await self._finish(inbound_id, outcome, agent, self._now())

    async def _finish(
        self,
        inbound_id: int,
        outcome: InboundOutcome | None,
        agent: str | None,
        at: datetime | None,
    ) -> None:
        try:
            await self._log.finish(inbound_id, outcome, agent, at)
        except StorageError as exc:
            log.error(
                "inbound_end_not_recorded",
                error=str(exc),
                inbound_id=inbound_id,
                outcome=outcome.value if outcome else None,
                agent=agent,
            )


def _int(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        return 0
