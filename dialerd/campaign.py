"""One running campaign: asks pacing how many to dial, claims phones, originates, tracks.

The order of a dial never changes: claim the phone (a lease in the database), screen it
(do-not-call lists for the batch, then the calling window: dialerd.screening), write the
attempt row, register the call so no event can be missed, and only then send the
Originate. An Originate is sent once; if the connection drops around it, the call is
orphaned and settled from what Asterisk still has after the reconnect, never re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from ami import AmiClient, Event
from ami import ConnectionLost as AmiConnectionLost
from ami.errors import ActionTimeout, AmiError, NotConnected
from dialerd.agents import AgentBoard
from dialerd.calltrack import (
    Call,
    CallEvent,
    CallState,
    ConnectionLost,
    GaveUpWaiting,
    OriginateRejected,
    Resynced,
    step,
)
from dialerd.config import Campaign
from dialerd.domain import AttemptResult, DuePhone, NewAttempt, OpenAttempt, Outcome, PhoneType
from dialerd.errors import DialerdError
from dialerd.originate import originate_headers
from dialerd.outcomes import OutcomeWriter
from dialerd.ports import Clock, Store
from dialerd.retry import plan_next
from dialerd.screening import DialScreen
from pacing.core import Decision, PacingInputs, decide

log = structlog.get_logger("dialerd.campaign")

ORPHAN_WAIT_S = 60.0
ANSWER_WAIT_S = 120.0
ORIGINATE_MARGIN_S = 30.0


@dataclass
class LiveCall:
    call: Call
    phone: DuePhone
    since: float  # monotonic time of the last change of state


@dataclass(frozen=True)
class Wiring:
    """What a runner shares with the daemon around it."""

    node: str
    store: Store
    ami: AmiClient
    writer: OutcomeWriter
    clock: Clock
    register: Callable[[str, CampaignRunner], None]
    unregister: Callable[[str], None]


class CampaignRunner:
    def __init__(self, campaign: Campaign, campaign_id: int, wiring: Wiring) -> None:
        self.campaign = campaign
        self.campaign_id = campaign_id
        self._w = wiring
        self.board = AgentBoard(queue=campaign.queue, wrapup_s=campaign.wrapup_s)
        self.calls: dict[uuid.UUID, LiveCall] = {}
        self.outcomes: Counter[Outcome] = Counter()
        self.dials = 0
        self.last_decision = Decision(0, "starting")
        self._recent_dials: deque[float] = deque()
        self.stopping = False
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()  # set while no call is in progress
        self.idle.set()
        self._log = log.bind(campaign=campaign.name)
        self._screen = DialScreen(wiring.store, wiring.node, wiring.clock)

    # ---- the dial loop -------------------------------------------------------

    async def run(self, tick_s: float = 0.5) -> None:
        await self.refresh_agents()
        while not self.stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), tick_s)
            self._wake.clear()
            if self._stopped():
                break
            self.settle_overdue()
            await self.dial_round()

    def _stopped(self) -> bool:
        return self.stopping

    def wake(self) -> None:
        self._wake.set()

    def pacing_inputs(self) -> PacingInputs:
        now = self._w.clock.monotonic()
        ringing = sum(1 for c in self.calls.values() if c.call.state is CallState.ORIGINATING)
        waiting = sum(1 for c in self.calls.values() if c.call.waiting_for_agent)
        return PacingInputs(
            ready_agents=self.board.ready_count(now),
            ringing=ringing,
            waiting_for_agent=waiting,
            lines_free=self.campaign.lines.max_lines - len(self.calls),
            dials_allowed_now=self._dials_allowed(now),
            dial_ratio=self.campaign.lines.dial_ratio,
        )

    def _dials_allowed(self, now: float) -> int:
        """The calls-per-second cap as a sliding one-second window."""
        while self._recent_dials and now - self._recent_dials[0] >= 1.0:
            self._recent_dials.popleft()
        return self.campaign.lines.calls_per_second - len(self._recent_dials)

    async def dial_round(self) -> None:
        if not self._w.ami.connected:
            self.last_decision = Decision(0, "AMI connection down")
            return
        decision = decide(self.pacing_inputs())
        self.last_decision = decision
        if decision.dials <= 0:
            return
        try:
            phones = await self._w.store.claim_due_phones(
                self.campaign_id,
                self._w.node,
                decision.dials,
                self.campaign.lease_s,
                self._w.clock.now(),
            )
        except DialerdError as exc:
            self.last_decision = Decision(0, f"database unavailable: {exc}")
            return
        if not phones:
            self.last_decision = Decision(0, "no due leads")
        async for phone in self._screen.admitted(self.campaign_id, phones):  # do-not-call
            await self.dial(phone)

    async def dial(self, phone: DuePhone) -> None:
        attempt_id = uuid.uuid4()
        now = self._w.clock.now()
        if await self._screen.deferred(self.campaign, phone, now):  # outside its calling window
            return
        attempt = NewAttempt(
            attempt_id=attempt_id,
            campaign_id=self.campaign_id,
            lead_id=phone.lead_id,
            phone_id=phone.phone_id,
            number=phone.number,
            caller_id=self.campaign.dial.caller_id,
            attempt_number=phone.lead_attempts + 1,
            node=self._w.node,
            created_at=now,
        )
        try:
            await self._w.store.create_attempt(attempt)
        except DialerdError as exc:
            self._log.warning("attempt_not_created", error=str(exc), phone_id=phone.phone_id)
            await self._release(phone)
            return
        started = self._w.clock.monotonic()
        self.calls[attempt_id] = LiveCall(Call(attempt_id, originated_at=now), phone, started)
        self.idle.clear()
        self._recent_dials.append(started)
        self._w.register(str(attempt_id), self)
        self.dials += 1
        await self._originate(attempt_id, phone)

    async def _originate(self, attempt_id: uuid.UUID, phone: DuePhone) -> None:
        headers = originate_headers(self.campaign, attempt_id, phone)
        try:
            response = await self._w.ami.send_action("Originate", headers)
        except NotConnected:
            self.finish_without_call(attempt_id, Outcome.CANCELLED)
            return
        except (AmiConnectionLost, ActionTimeout):
            self.on_call_event(str(attempt_id), ConnectionLost())
            return
        except AmiError as exc:
            self.on_call_event(str(attempt_id), OriginateRejected(str(exc)))
            return
        if not response.ok:
            self.on_call_event(str(attempt_id), OriginateRejected(response.message or "error"))

    async def _release(self, phone: DuePhone) -> None:
        # If this fails too, the lease expires by itself; nobody dials the phone meanwhile.
        with contextlib.suppress(DialerdError):
            await self._w.store.release_leases(self._w.node, [phone.phone_id])

    # ---- events ------------------------------------------------------------------

    def on_call_event(self, key: str, event: CallEvent) -> None:
        live = self.calls.get(uuid.UUID(key))
        if live is None:
            return
        before = live.call.state
        live.call, effects = step(live.call, event, self._w.clock.now())
        if live.call.state is not before:
            live.since = self._w.clock.monotonic()
        for finished in effects:
            self._finish(live, finished.result)

    def on_agent_event(self, event: Event) -> None:
        before = self.board.ready_count(self._w.clock.monotonic())
        self.board = self.board.apply(event.name, event.headers, self._w.clock.monotonic())
        if self.board.ready_count(self._w.clock.monotonic()) > before:
            self.wake()

    def finish_without_call(self, attempt_id: uuid.UUID, outcome: Outcome) -> None:
        live = self.calls.get(attempt_id)
        if live is not None:
            result = AttemptResult(
                attempt_id=attempt_id, outcome=outcome, ended_at=self._w.clock.now()
            )
            live.call = Call(attempt_id, state=CallState.ENDED)
            self._finish(live, result)

    def _finish(self, live: LiveCall, result: AttemptResult) -> None:
        del self.calls[result.attempt_id]
        if not self.calls:
            self.idle.set()
        self._w.unregister(str(result.attempt_id))
        next_dials = plan_next(live.phone, result.outcome, self.campaign.retry, result.ended_at)
        self._w.writer.put(result, next_dials)
        self.outcomes[result.outcome] += 1
        self._log.info(
            "call_ended",
            attempt=str(result.attempt_id),
            outcome=result.outcome.value,
            agent=result.agent,
            ast_reason=result.ast_reason,
        )
        self.wake()

    # ---- connection loss, resync, safety nets -----------------------------------

    def on_connection_lost(self) -> None:
        for attempt_id in list(self.calls):
            self.on_call_event(str(attempt_id), ConnectionLost())

    async def on_reconnected(self) -> None:
        try:
            listing = await self._w.ami.send_list_action("CoreShowChannels")
        except AmiError as exc:
            self._log.warning("resync_failed", error=str(exc))
            return
        channels = live_channels(listing.events)
        for attempt_id, live in list(self.calls.items()):
            if live.call.state is CallState.ORPHANED:
                self.on_call_event(str(attempt_id), resynced(channels.get(str(attempt_id))))
        await self.refresh_agents()

    def adopt(self, attempt: OpenAttempt, channel: Event) -> None:
        """Follow a call left in progress by an earlier run of this node to its end."""
        phone = DuePhone(
            phone_id=attempt.phone_id,
            lead_id=0,
            campaign_id=attempt.campaign_id,
            number=attempt.number,
            phone_type=PhoneType.UNKNOWN,
            lead_name="",
            time_zone=None,
            attempts=0,
            lead_attempts=0,
            next_phone_id=None,
            lease_until=attempt.created_at,
        )
        orphan = Call(
            attempt.attempt_id, state=CallState.ORPHANED, originated_at=attempt.originated_at
        )
        self.calls[attempt.attempt_id] = LiveCall(orphan, phone, self._w.clock.monotonic())
        self.idle.clear()
        self._w.register(str(attempt.attempt_id), self)
        self.on_call_event(str(attempt.attempt_id), resynced(channel))

    async def refresh_agents(self) -> None:
        try:
            status = await self._w.ami.send_list_action(
                "QueueStatus", {"Queue": self.campaign.queue}
            )
        except AmiError as exc:
            self._log.warning("queue_status_failed", error=str(exc))
            return
        board = AgentBoard(queue=self.campaign.queue, wrapup_s=self.campaign.wrapup_s)
        for event in status.events:
            board = board.apply(event.name, event.headers, self._w.clock.monotonic())
        self.board = board
        self._log.info(
            "agents_loaded",
            agents=len(board.agents),
            ready=board.ready_count(self._w.clock.monotonic()),
        )
        self.wake()

    def settle_overdue(self) -> None:
        """A call whose final event never came ends as unknown instead of holding a line."""
        now = self._w.clock.monotonic()
        ring_limit = self.campaign.dial.ring_timeout_s + ORIGINATE_MARGIN_S
        limits = {
            CallState.ORIGINATING: ring_limit,
            CallState.ANSWERED: ANSWER_WAIT_S,
            CallState.ABANDONING: ANSWER_WAIT_S,
            CallState.ORPHANED: ORPHAN_WAIT_S,
        }
        for attempt_id, live in list(self.calls.items()):
            limit = limits.get(live.call.state)
            if limit is not None and now - live.since > limit:
                self.on_call_event(str(attempt_id), GaveUpWaiting())

    @property
    def live_calls(self) -> int:
        return len(self.calls)


def live_channels(events: Sequence[Event]) -> dict[str, Event]:
    """CoreShowChannel events by Uniqueid."""
    return {e.get("Uniqueid") or "": e for e in events if e.name == "CoreShowChannel"}


def resynced(channel: Event | None) -> Resynced:
    if channel is None:
        return Resynced(still_live=False)
    return Resynced(
        still_live=True,
        bridged=bool(channel.get("BridgeId")),
        up=channel.get("ChannelState") == "6",
    )
