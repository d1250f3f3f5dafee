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
from dataclasses import dataclass, field, replace
from datetime import timedelta

import structlog

from ami import AmiClient, Event
from ami import ConnectionLost as AmiConnectionLost
from ami.errors import ActionTimeout, AmiError, NotConnected
from caller_id_pool import NoneAvailable, Reservation
from dialerd.agents import AgentBoard
from dialerd.blended import InboundCalls
from dialerd.callbacks import CallbackDialer
from dialerd.callstats import CallStats
from dialerd.calltrack import (
    AgentConnected,
    AmdDone,
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
from dialerd.logs import Repeats
from dialerd.originate import UnsafeOriginate, originate_headers
from dialerd.outcomes import OutcomeWriter
from dialerd.pacer import Pacer, Situation, call_result, dial_result
from dialerd.ports import Clock, Store
from dialerd.reasons import Batch, LeadOutlook, Stop
from dialerd.retry import plan_next
from dialerd.rotation import CallerIdRotator
from dialerd.screen_pop import Connected, connected_event
from dialerd.screening import DialScreen, ScreenTally
from dialerd.sharing import Sharing
from dialerd.storage.callbacks import claims_for
from pacing import Decision, PacingInputs, WindowCounts

log = structlog.get_logger("dialerd.campaign")

# Outcomes of dials that rang (or were refused) without an answer: what the ring model
# learns as "not answered". Failures at the Originate and unknown ends teach nothing.
UNANSWERED = frozenset({Outcome.BUSY, Outcome.NO_ANSWER, Outcome.CONGESTION, Outcome.FAILED})
ORPHAN_WAIT_S = 60.0
ANSWER_WAIT_S = 120.0
ORIGINATE_MARGIN_S = 30.0
AGENTS_RETRY_S = 5.0  # a failed QueueStatus is asked again this much later
AMD_LEARNING = 0.05  # weight of each new AMD time in the running mean
AMD_STATUSES = frozenset({"HUMAN", "MACHINE", "NOTSURE"})  # a metric label: bounded


def amd_prior_s(campaign: Campaign) -> float:
    """AMD's time before any is seen: a person's greeting at its longest, plus the silence
    that ends it (cautious: more AMD time leaves less grace, so fewer dials)."""
    amd = campaign.amd
    return (amd.greeting_ms + amd.after_greeting_silence_ms) / 1000


@dataclass
class LiveCall:
    call: Call
    phone: DuePhone
    since: float  # monotonic time of the last change of state
    caller_id: str | None = None
    started: float = 0.0  # monotonic time of the Originate
    amd: bool = False  # AMD runs on it once answered (the campaign's amd.enabled at dial time)

    @property
    def in_amd(self) -> bool:
        """Answered and still being classified: to pacing it is still ringing, since
        whether it needs an agent is not known yet."""
        return self.amd and self.call.amd is None and self.call.state is CallState.ANSWERED


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
    rotator_for: Callable[[Campaign], CallerIdRotator | None] = lambda _: None
    # trunk caps and queue agents shared with the daemon's other campaigns
    sharing: Sharing = field(default_factory=lambda: Sharing({}))
    connected: Callable[[Connected], None] = lambda _: None  # an agent answered (screen pop)


class CampaignRunner:
    def __init__(self, campaign: Campaign, campaign_id: int, wiring: Wiring) -> None:
        self.campaign = campaign
        self.campaign_id = campaign_id
        self._w = wiring
        self.board = AgentBoard(queue=campaign.queue, wrapup_s=campaign.wrapup_s)
        self.inbound = InboundCalls(blended_queues(campaign))  # agents on inbound calls
        self.calls: dict[uuid.UUID, LiveCall] = {}
        self.outcomes: Counter[Outcome] = Counter()
        self.dials = 0
        self.last_decision = Decision(0, "starting")
        self.rotator = wiring.rotator_for(campaign)
        self.pacer = Pacer.create(campaign)
        self.deferred = 0  # dials put off for want of a caller ID
        self.stats = CallStats()  # latencies and caller-ID usage, for the metrics
        self.amd_s = amd_prior_s(campaign)  # mean AMD time of queued calls, learnt (pacing)
        self.amd_results: Counter[tuple[str, str]] = Counter()  # (status, action), metrics
        self._recent_dials: deque[float] = deque()
        self.stopping = False
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()  # set while no call is in progress
        self.idle.set()
        self._log = log.bind(campaign=campaign.name)
        self._screen = DialScreen(wiring.store, wiring.node, wiring.clock)
        self._repeats = Repeats(clock=wiring.clock.monotonic)
        # what /status explains (dialerd.reasons): where the last round stopped and why
        self.last_stop = Stop.STARTING
        self.last_inputs: PacingInputs | None = None
        self.last_batch: Batch | None = None
        self.last_error = ""
        self.outlook: LeadOutlook | None = None  # kept fresh by dialerd.status
        self.round_done_at = wiring.clock.monotonic()
        self._agents_withheld = 0  # ready agents of the queue given to other campaigns
        self._agents_retry_at: float | None = None  # QueueStatus failed: ask again then
        wiring.sharing.join(self)
        claims = claims_for(wiring.store)
        self.callbacks = CallbackDialer(claims, wiring.node, wiring.clock, wiring.sharing)

    # ---- the dial loop -------------------------------------------------------

    async def run(self, tick_s: float = 0.5) -> None:
        await self.refresh_agents()
        while not self.stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(tick_s):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopped():
                break
            self.settle_overdue()
            await self._retry_agents()
            await self.caller_id_upkeep()
            await self.dial_round()
            self.round_done_at = self._w.clock.monotonic()

    def reconfigure(self, campaign: Campaign, rotator: CallerIdRotator | None) -> None:
        """A reloaded campaign file: calls in progress keep the settings they started with."""
        self.campaign = campaign
        self.rotator = rotator
        self.pacer.reconfigure(campaign)
        self.inbound = self.inbound.with_queues(blended_queues(campaign))

    def _stopped(self) -> bool:
        return self.stopping

    @property
    def wants_agents(self) -> bool:
        """Whether a share of the queue's ready agents is of use: not when stopping, nor
        when the last claim found nothing due (the next round asks again)."""
        return not self.stopping and self.last_stop is not Stop.NOTHING_DUE

    def wake(self) -> None:
        self._wake.set()

    def situation(self, now: float) -> Situation:
        ringing, talking, waiting = [], [], 0
        for live in self.calls.values():
            state = live.call.state
            if state is CallState.ORIGINATING or live.in_amd:
                ringing.append(now - live.started)
            elif state is CallState.CONNECTED:
                talking.append(now - live.since)
            elif state is CallState.ANSWERED:
                waiting += 1
        return Situation(
            board=self.board,
            ringing_s=tuple(ringing),
            talking_s=tuple(talking),
            waiting_calls=waiting,
            lines_free=self.campaign.lines.max_lines - len(self.calls),
            dials_allowed_now=self._dials_allowed(now),
            amd_s=self.amd_s if self.campaign.amd.enabled else 0.0,
            inbound=self.inbound.on_calls(self.board.busy_interfaces(), now),
            inbound_waiting=len(self.inbound.waiting),
        )

    def _dials_allowed(self, now: float) -> int:
        """The calls-per-second cap as a sliding one-second window."""
        while self._recent_dials and now - self._recent_dials[0] >= 1.0:
            self._recent_dials.popleft()
        return self.campaign.lines.calls_per_second - len(self._recent_dials)

    async def dial_round(self) -> None:
        if not self._w.ami.connected:
            self.last_decision = Decision(0, "AMI connection down")
            self.last_stop = Stop.AMI_DOWN
            return
        if held := self._outcomes_held():
            self.last_decision = Decision(0, held)
            self.last_stop, self.last_error = Stop.OUTCOMES_HELD, held
            return
        await self.callbacks.dial_round(self)  # ahead of the predictive flow (docs/followups.md)
        now = self._w.clock.monotonic()
        await self._refresh_window(now)
        self.last_inputs = inputs = self._inputs(now)
        decision = self.pacer.decide(inputs, now)
        self.last_decision = decision
        granted = self._w.sharing.take(self, decision.dials, now)
        if decision.dials <= 0:
            self.last_stop = Stop.PACING
            if self._agents_withheld and inputs.ready_agents == 0:
                self.last_stop, self.last_error = Stop.AGENTS_SHARED, self._shared_text()
            return
        if granted <= 0:
            self._trunk_held(decision)
            return
        dials_before = self.dials
        try:
            await self._claim_and_dial(granted)
        finally:
            self._w.sharing.settle(self, granted, self.dials - dials_before)

    def _inputs(self, now: float) -> PacingInputs:
        """What pacing sees, with this campaign's share of its queue's ready agents."""
        inputs = self.pacer.inputs(self.situation(now), now)
        share = self._w.sharing.ready_agents(self, inputs.ready_agents)
        self._agents_withheld = inputs.ready_agents - share
        return replace(inputs, ready_agents=share) if share != inputs.ready_agents else inputs

    def _shared_text(self) -> str:
        return (
            f"{self._agents_withheld} ready agents of queue {self.campaign.queue} go to"
            " campaigns of higher priority (or weight) on it"
        )

    def _trunk_held(self, decision: Decision) -> None:
        trunk = self.campaign.dial.trunk_name
        text = (
            f"trunk {trunk} is at its max_channels or max_cps, or what is free goes to"
            " campaigns of higher priority or weight on it"
        )
        self.last_decision = Decision(0, f"pacing wanted {decision.dials}; {text}")
        self.last_stop, self.last_error = Stop.TRUNK_AT_CAP, text

    async def _claim_and_dial(self, dials: int) -> None:
        try:
            phones = await self._w.store.claim_due_phones(
                self.campaign_id,
                self._w.node,
                dials,
                self.campaign.lease_s,
                self._w.clock.now(),
            )
        except DialerdError as exc:
            self.last_decision = Decision(0, f"database unavailable: {exc}")
            self.last_stop, self.last_error = Stop.DATABASE, str(exc)
            self._repeats.warning(self._log, "due_phones_unavailable", error=str(exc))
            return
        self._repeats.clear("due_phones_unavailable")
        if not phones:
            self.last_decision = Decision(0, "no due leads")
            self.last_stop = Stop.NOTHING_DUE
            return
        await self.dial_batch(phones)

    def _outcomes_held(self) -> str | None:
        """Why results could not be kept safe now: no new calls until they can."""
        writer = self._w.writer
        if writer.journal_error is not None:
            return f"outcome journal unwritable: {writer.journal_error}"
        if writer.failing:
            return "database unavailable: outcomes waiting to be written"
        return None

    async def _refresh_window(self, now: float) -> None:
        """The campaign's connected and abandoned calls over its compliance window."""
        if not self.pacer.window_due(now):
            return
        hours = self.pacer.settings.window.hours
        since = self._w.clock.now() - timedelta(hours=hours)
        try:
            connected, abandoned = await self._w.store.abandon_window(self.campaign_id, since)
        except DialerdError as exc:  # keep the last counts; the writer's lag is minutes at most
            self._repeats.warning(self._log, "abandon_window_unavailable", error=str(exc))
            return
        self._repeats.clear("abandon_window_unavailable")
        self.pacer.window_read(WindowCounts(connected, abandoned), now)

    async def dial_batch(self, phones: Sequence[DuePhone]) -> None:
        """Dial each claimed phone with a caller ID, put off those that have none now, and
        drop those on a do-not-call list (checked after the caller IDs are reserved, so
        that the check stays within DialScreen.RECHECK_S of each Originate)."""
        self._screen.tally, dials_before = ScreenTally(), self.dials
        attempt_ids = [uuid.uuid4() for _ in phones]
        picks = await self._pick_caller_ids(phones, attempt_ids)
        planned: dict[int, tuple[uuid.UUID, Reservation | None]] = {}
        deferred: list[tuple[DuePhone, str]] = []
        for phone, attempt_id, pick in zip(phones, attempt_ids, picks, strict=True):
            if isinstance(pick, NoneAvailable):
                deferred.append((phone, pick.reason))
            else:
                planned[phone.phone_id] = (attempt_id, pick)
        if deferred:
            await self._defer(deferred)
        reserved = [p for p in phones if p.phone_id in planned]
        limits = self.campaign.limits.limits()
        no_drops = await self._leads_without_drops(reserved)
        async for phone in self._screen.admitted(self.campaign_id, reserved, limits):
            attempt_id, reservation = planned.pop(phone.phone_id)
            await self.dial(phone, attempt_id, reservation, phone.lead_id not in no_drops)
        for _, reservation in planned.values():  # blocked by do-not-call: no call, no caller ID
            if reservation is not None:
                await self._release_caller_id(reservation)
        self._note_batch(len(phones), deferred, self.dials - dials_before)

    async def _leads_without_drops(self, phones: Sequence[DuePhone]) -> set[int]:
        """The leads that had their voicemail drops of the last 24 hours (amd.message): a
        machine gets a hang-up instead. Unknown (the database is away): none get a drop."""
        amd = self.campaign.amd
        if not amd.enabled or "message" not in (amd.machine, amd.notsure) or not phones:
            return set()
        leads = {phone.lead_id for phone in phones}
        since = self._w.clock.now() - timedelta(hours=24)
        try:
            drops = await self._w.store.voicemail_drops(sorted(leads), since)
        except DialerdError as exc:
            self._repeats.warning(self._log, "voicemail_drops_unavailable", error=str(exc))
            return leads
        return {lead for lead, count in drops.items() if count >= amd.messages_per_lead_per_day}

    def _note_batch(
        self, claimed: int, deferred: Sequence[tuple[DuePhone, str]], dialled: int
    ) -> None:
        tally = self._screen.tally
        self.last_batch = Batch(
            claimed=claimed,
            dialled=dialled,
            no_caller_id=len(deferred),
            caller_id_reason=deferred[0][1] if deferred else "",
            blocked=tally.blocked,
            limited=tally.limited,
            outside_window=tally.outside_window,
        )
        self.last_stop = Stop.DIALLED if dialled else Stop.SCREENED

    async def _pick_caller_ids(
        self, phones: Sequence[DuePhone], attempt_ids: Sequence[uuid.UUID]
    ) -> Sequence[Reservation | NoneAvailable | None]:
        if self.rotator is None:  # one fixed caller ID (or none) for the whole campaign
            return [None] * len(phones)
        ids = [str(a) for a in attempt_ids]
        return await self.rotator.pick(phones, ids, self._w.clock.now())

    async def _defer(self, deferred: Sequence[tuple[DuePhone, str]]) -> None:
        self.deferred += len(deferred)
        reason = deferred[0][1]
        self.last_decision = Decision(0, f"no caller ID available: {reason}")
        self._repeats.info(self._log, "dials_deferred", dials=len(deferred), reason=reason)
        pool = self.campaign.caller_ids
        until = self._w.clock.now() + timedelta(seconds=pool.defer_s if pool else 30.0)
        ids = [phone.phone_id for phone, _ in deferred]
        # If this fails, the leases expire by themselves; nobody dials the phones meanwhile.
        with contextlib.suppress(DialerdError):
            await self._w.store.defer_phones(self._w.node, ids, until)

    async def dial(
        self,
        phone: DuePhone,
        attempt_id: uuid.UUID,
        reservation: Reservation | None = None,
        drops_left: bool = True,
    ) -> None:
        now = self._w.clock.now()
        if await self._screen.deferred(self.campaign, phone, now):  # outside its calling window
            if reservation is not None:
                await self._release_caller_id(reservation)
            return
        presented = reservation.number if reservation else self.campaign.dial.caller_id
        attempt = NewAttempt(
            attempt_id=attempt_id,
            campaign_id=self.campaign_id,
            lead_id=phone.lead_id,
            phone_id=phone.phone_id,
            number=phone.number,
            caller_id=presented,
            attempt_number=phone.lead_attempts + 1,
            node=self._w.node,
            created_at=now,
        )
        try:
            await self._screen.write_attempt(attempt, self.campaign.limits.limits())
        except DialerdError as exc:
            self._log.warning("attempt_not_created", error=str(exc), phone_id=phone.phone_id)
            await self._release(phone, reservation)
            return
        started = self._w.clock.monotonic()
        call = Call(attempt_id, originated_at=now)
        amd = self.campaign.amd.enabled
        self.calls[attempt_id] = LiveCall(call, phone, started, presented, started, amd)
        self.idle.clear()
        self._recent_dials.append(started)
        self._w.register(str(attempt_id), self)
        self.dials += 1
        self.stats.dialled(presented)
        if not await self._originate(attempt_id, phone, presented, drops_left) and reservation:
            await self._release_caller_id(reservation)

    async def _originate(
        self, attempt_id: uuid.UUID, phone: DuePhone, presented: str | None, drops_left: bool
    ) -> bool:
        """Send the Originate once; False when it certainly never reached Asterisk."""
        try:
            headers = originate_headers(self.campaign, attempt_id, phone, presented, drops_left)
        except UnsafeOriginate as exc:  # never sent: the attempt ends as failed, with why
            self._log.error("originate_refused", attempt=str(attempt_id), error=str(exc))
            self.on_call_event(str(attempt_id), OriginateRejected(str(exc)))
            return False
        try:
            response = await self._w.ami.send_action("Originate", headers)
        except NotConnected:
            self.finish_without_call(attempt_id, Outcome.CANCELLED)
            return False
        except (AmiConnectionLost, ActionTimeout):
            self.on_call_event(str(attempt_id), ConnectionLost())
            return True  # it may have been sent: the customer may have seen the number
        except AmiError as exc:
            self.on_call_event(str(attempt_id), OriginateRejected(str(exc)))
            return False
        if not response.ok:
            self.on_call_event(str(attempt_id), OriginateRejected(response.message or "error"))
            return False
        return True

    async def _release(self, phone: DuePhone, reservation: Reservation | None) -> None:
        # If this fails too, the lease expires by itself; nobody dials the phone meanwhile.
        with contextlib.suppress(DialerdError):
            await self._w.store.release_leases(self._w.node, [phone.phone_id])
        if reservation is not None:
            await self._release_caller_id(reservation)

    async def _release_caller_id(self, reservation: Reservation) -> None:
        if self.rotator is not None:  # None only if a reload removed the pool meanwhile
            await self.rotator.release(reservation)

    # ---- caller-ID upkeep ----------------------------------------------------------

    async def caller_id_upkeep(self) -> None:
        """Fresh number states, answers remembered for affinity, and the health check."""
        if self.rotator is None:
            return
        try:
            changes = await self.rotator.upkeep(self._w.clock.monotonic(), self._w.clock.now())
        except DialerdError as exc:
            self._repeats.warning(self._log, "caller_id_states_unavailable", error=str(exc))
            return
        self._repeats.clear("caller_id_states_unavailable")
        for change in changes:
            self._log.warning(
                change.event, number=change.number, reason=change.reason, by=change.actor
            )

    # ---- events ------------------------------------------------------------------

    def on_call_event(self, key: str, event: CallEvent) -> None:
        live = self.calls.get(uuid.UUID(key))
        if live is None:
            return
        before = live.call.state
        live.call, effects = step(live.call, event, self._w.clock.now())
        if live.call.state is not before:
            entered, live.since = live.since, self._w.clock.monotonic()
            self.stats.changed(before, live.call.state, live.started, entered, live.since)
            answered = before is CallState.ORIGINATING and live.call.answered_at is not None
            if answered and not live.amd:  # with AMD, learnt from its result (below)
                self.pacer.learn([dial_result(live.since - live.started, answered=True)])
            if isinstance(event, AgentConnected) and live.call.state is CallState.CONNECTED:
                self._tell_connected(live.call)
        if isinstance(event, AmdDone):
            self._learn_amd(live, event)
        for finished in effects:
            self._finish(live, finished.result)

    def _learn_amd(self, live: LiveCall, event: AmdDone) -> None:
        """A classified call: to pacing an answer when queued (after `ring + AMD` seconds,
        so the grace left is what AMD left), else a machine: not an answer."""
        if not live.amd:
            return
        status = event.status if event.status in AMD_STATUSES else "other"
        self.amd_results[status, event.action] += 1
        queued = event.action == "agent"
        ring_s = self._w.clock.monotonic() - live.started
        machine = event.status == "MACHINE"
        self.pacer.learn([dial_result(ring_s, answered=queued, machine=machine)])
        if queued:
            self.amd_s += AMD_LEARNING * (event.ms / 1000 - self.amd_s)

    def _tell_connected(self, call: Call) -> None:
        event = connected_event(self.campaign.name, self.campaign.screen_pop, call)
        if event is not None:
            self._w.connected(event)

    def on_agent_event(self, event: Event) -> None:
        before = self.board.ready_count(self._w.clock.monotonic())
        self.board = self.board.apply(event.name, event.headers, self._w.clock.monotonic())
        if self.board.ready_count(self._w.clock.monotonic()) > before:
            self.wake()

    def on_inbound_event(self, event: Event, ours: bool) -> None:
        """A queue's AgentConnect or AgentComplete (dialerd.blended); ``ours``: the caller is
        a call dialerd placed."""
        now = self._w.clock.monotonic()
        self.inbound, learnt = self.inbound.apply(event.name, event.headers, now, ours)
        self.pacer.learn(learnt)

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
        if result.answered_at is not None and live.caller_id and self.rotator is not None:
            self.rotator.note_answer(live.phone.lead_id, live.caller_id)
        self._learn_from(live, result)
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

    def _learn_from(self, live: LiveCall, result: AttemptResult) -> None:
        """What pacing learns from a call's end (answers were learnt when they came)."""
        if result.outcome in UNANSWERED and live.started:
            ring_s = self._w.clock.monotonic() - live.started
            self.pacer.learn([dial_result(ring_s, answered=False)])
        abandoned = result.outcome is Outcome.ABANDONED
        self.pacer.learn(call_result(result.talk_s, abandoned))

    # ---- connection loss, resync, safety nets -----------------------------------

    def on_connection_lost(self) -> None:
        self.inbound = self.inbound.forgotten()
        for attempt_id in list(self.calls):
            self.on_call_event(str(attempt_id), ConnectionLost())

    async def on_reconnected(self) -> None:
        try:
            listing = await self._w.ami.send_list_action("CoreShowChannels")
            listing.response.raise_for_error()
        except AmiError as exc:
            self._log.warning("resync_failed", error=str(exc))
            self._agents_retry_at = self._w.clock.monotonic() + AGENTS_RETRY_S
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
            status.response.raise_for_error()  # an error lists no member: not an empty queue
        except AmiError as exc:
            self._log.warning("queue_status_failed", error=str(exc))
            self._agents_retry_at = self._w.clock.monotonic() + AGENTS_RETRY_S
            return
        self._agents_retry_at = None
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

    async def _retry_agents(self) -> None:
        """The queue's agents again after a failed QueueStatus, so a stale board heals."""
        due = self._agents_retry_at
        if due is not None and self._w.clock.monotonic() >= due and self._w.ami.connected:
            await self.refresh_agents()

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


def blended_queues(campaign: Campaign) -> frozenset[str]:
    """The queues whose calls the campaign's agents take: its own, its inbound ones."""
    return frozenset({campaign.queue, *campaign.agents.inbound_queues})
