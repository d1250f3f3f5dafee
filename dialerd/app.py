"""The composition root: builds every part from the configuration and runs them.

One event loop, named tasks in a TaskGroup: an event pump per Asterisk server, a runner
per campaign, the outcome writer, and the progress printer. SIGTERM/SIGINT stop new
dials, let calls in progress end within the grace period, write every outcome and
return 0. SIGHUP reloads the campaign files; an invalid set keeps the running one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import structlog

from ami import AmiClient, AmiError, AmiSettings, ConnectionStateChanged, Event, EventStream
from ami.errors import AmiConnectionError
from caller_id_pool import (
    CallerIdError,
    CallerIdStore,
    InProcessStore,
    RedisStore,
    StoreUnavailable,
)
from dialerd.amievents import (
    AGENT_EVENTS,
    QUEUE_CALL_EVENTS,
    WANTED_EVENTS,
    call_event,
    call_key,
)
from dialerd.api import Api
from dialerd.callbacks import CallbackKeeper, deadline_of
from dialerd.campaign import CampaignRunner, Wiring, blended_queues, live_channels
from dialerd.config import (
    AmiServer,
    Campaign,
    ChannelSwitchSettings,
    MainConfig,
    RedisSettings,
    load_campaigns,
)
from dialerd.connected_events import ConnectedWriter
from dialerd.dispositions import DispositionRecorder, is_disposition
from dialerd.domain import AttemptResult, NextDial, Outcome, PhoneState
from dialerd.errors import ConfigError, Fatal, Unavailable
from dialerd.followup_settings import FollowupSettings
from dialerd.http import Endpoints, HttpServer
from dialerd.inbound_desk import AmiChannels, InboundDesk
from dialerd.journal import Item as JournalItem
from dialerd.journal import Journal
from dialerd.metrics import DaemonCollector
from dialerd.outcomes import OutcomeWriter
from dialerd.ports import Clock, Store, SystemClock
from dialerd.preview import PreviewDesk
from dialerd.probes import LeadCounter, LoopLag
from dialerd.progress import progress_line
from dialerd.reconcile import Reconciler
from dialerd.rotation import CallerIdRotator, rebuild_if_lost
from dialerd.sdnotify import Notifier
from dialerd.service import ReloadResult, dialing_status, ping_redis
from dialerd.sharing import Sharing
from dialerd.status import StatusKeeper, health, readiness, status_document
from dialerd.storage import PgStore, StorageError, StorageUnavailable
from dialerd.storage.callbacks import PgCallbacks
from dialerd.storage.caller_ids import PgCallerIdLog
from dialerd.storage.dispositions import PgDispositions
from dialerd.storage.dnc import PgDncLists
from dialerd.storage.inbound import PgInbound
from dialerd.storage.lead_counts import PgLeadCounts
from dialerd.storage.outbox import PgOutbox
from dialerd.storage.reconcile_sql import PgReconcile
from dialerd.storage.screen_pop_sql import PgConnectedEvents
from dialerd.webhooks import WebhookSender

log = structlog.get_logger("dialerd")

# An attempt found open at start whose call is gone: its outcome is unknown, and the
# phone waits an hour before it is dialled again (never at once: it may have rung).
UNKNOWN_RETRY_S = 3600.0
BOOT_WAIT_S = 30.0  # how long a new AMI session waits for Asterisk to finish booting


def database_url(url: str, password: str | None) -> str:
    """The configured URL with the password (kept out of the config file) put in."""
    if password is None:
        return url
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def redis_url(settings: RedisSettings) -> str:
    """The configured Redis URL with the password (kept out of the config file) put in."""
    password = settings.reveal()
    if password is None:
        return settings.url
    parts = urlsplit(settings.url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{quote(parts.username or '', safe='')}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


async def open_caller_id_store(
    config: MainConfig, records: PgCallerIdLog, now: datetime
) -> CallerIdStore:
    """Redis when configured (several nodes share it), in-process otherwise; rebuilt from
    the presentations PostgreSQL keeps when it is empty, so no restart forgets them."""
    store: CallerIdStore = (
        RedisStore.connect(redis_url(config.redis)) if config.redis else InProcessStore()
    )
    try:
        await rebuild_if_lost(store, records, now)
    except StoreUnavailable as exc:  # Redis down or loading: starting again later may work
        raise Unavailable(f"caller-ID store unavailable: {exc}") from exc
    except CallerIdError as exc:  # bad credentials, no permission: fix the configuration
        raise Fatal(f"caller-ID store refused us: {exc}") from exc
    return store


def followup_settings(campaigns: dict[str, Campaign]) -> dict[str, FollowupSettings]:
    """Every campaign's follow-ups, disabled ones too: their last calls may still end."""
    return {c.name: c.followups for c in campaigns.values() if c.followups is not None}


def ami_settings(server: AmiServer) -> AmiSettings:
    return AmiSettings(
        host=server.host,
        port=server.port,
        username=server.username,
        secret=server.reveal() or "",
        ping_interval_s=server.ping_interval_s,
        ping_timeout_s=server.ping_timeout_s,
        events=WANTED_EVENTS,
    )


async def wait_booted(ami: AmiClient) -> None:
    """Hold actions until Asterisk has loaded its modules (FullyBooted), within a bound: an
    AMI user without the ``system`` read class never hears it, and then dialing goes on."""
    if not await ami.wait_fully_booted(BOOT_WAIT_S):
        log.warning("asterisk_boot_not_seen", waited_s=BOOT_WAIT_S)


def log_tasks() -> None:
    """One log line per task of the loop with where it waits (SIGUSR2): for a daemon that
    does not stop or does not dial, what each part of it is doing."""
    for task in asyncio.all_tasks():
        stack = io.StringIO()
        task.print_stack(limit=8, file=stack)
        log.warning("task_dump", task=task.get_name(), stack=stack.getvalue())


class Daemon:
    def __init__(
        self,
        config: MainConfig,
        config_dir: Path,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.config = config
        self.notifier = notifier or Notifier(None)
        self.campaigns_dir = config_dir / config.campaigns_dir
        self.clock = clock or SystemClock()
        # the configuration read at start counts as the first load, until a SIGHUP
        self.last_reload = ReloadResult(ok=True, at=self.clock.now().timestamp())
        self.runners: dict[str, CampaignRunner] = {}
        self.calls: dict[str, CampaignRunner] = {}
        self.stop_requested = asyncio.Event()
        self.store: Store | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._group: asyncio.TaskGroup | None = None
        self._wiring: Wiring | None = None
        self._loops: dict[str, asyncio.Task[None]] = {}  # each campaign's dial loop
        self._ami: AmiClient | None = None
        self._writer: OutcomeWriter | None = None
        self.reload_failures = 0  # reloads refused for an invalid configuration
        self._caller_ids: CallerIdStore | None = None  # opened (and rebuilt) at start
        self._records: PgCallerIdLog | None = None
        self.journal = Journal(config_dir / config.state_dir)
        self._left_in_journal: list[JournalItem] = []  # results an earlier run did not write
        self._dispositions: DispositionRecorder | None = None
        self.preview: PreviewDesk | None = None
        self._inbound: InboundDesk | None = None  # calls to pool numbers (docs/callbacks.md)
        self._dnc_lists: PgDncLists | None = None  # where an opt-out is written
        self.keeper: StatusKeeper | None = None  # what /status and the probes read
        self.lead_counter: LeadCounter | None = None  # for the metrics, like the loop lag
        self.loop_lag = LoopLag(self.clock.monotonic)
        self.followups: dict[str, FollowupSettings] = {}  # what the webhook sender reads
        self.webhooks: WebhookSender | None = None
        self._started_at = self.clock.now()
        self.connected: ConnectedWriter | None = None
        self.callbacks: CallbackKeeper | None = None  # overdue callbacks, met/missed counts
        self.reconciler: Reconciler | None = None  # unknown outcomes settled from CDRs
        self._cdr_store: PgStore | None = None  # where Asterisk's CDRs are, if not here

    # ---- start and stop --------------------------------------------------------

    async def run(self, *, duration_s: float | None = None, progress: bool = False) -> int:
        self._started_at = self.clock.now()  # attempts older than this are an earlier run's
        campaigns = load_campaigns(self.campaigns_dir, self.config.trunks)
        self.notifier.status("starting: checking the database schema")
        store = PgStore(database_url(self.config.database.url, self.config.database.reveal()))
        try:
            await store.require_head()
        except StorageError as exc:
            await store.close()
            retryable = isinstance(exc, StorageUnavailable)  # systemd restarts, not on Fatal
            raise (Unavailable if retryable else Fatal)(str(exc)) from exc
        self.store = store
        self._set_followups(campaigns)
        self.webhooks = WebhookSender(PgOutbox(store), lambda: self.followups, self.clock)
        self.connected = ConnectedWriter(PgConnectedEvents(store))  # screen pop's webhooks
        if self.config.redis is not None:
            self.notifier.status("starting: checking Redis")
            await ping_redis(self.config.redis)
        self._open_journal()
        self._records = PgCallerIdLog(store)
        self._dispositions = DispositionRecorder(PgDispositions(store, self._callback_deadline))
        self.lead_counter = LeadCounter(PgLeadCounts(store), self.clock.now)
        self._caller_ids = await open_caller_id_store(self.config, self._records, self.clock.now())
        server = self.config.asterisk[0]
        self.notifier.status(f"starting: connecting to Asterisk AMI at {server.host}:{server.port}")
        ami = AmiClient(ami_settings(server))
        try:
            await ami.start(wait_s=30)
        except AmiConnectionError as exc:
            raise Unavailable(f"cannot reach Asterisk AMI: {exc}") from exc
        except AmiError as exc:
            raise Fatal(f"cannot log in to Asterisk AMI: {exc}") from exc
        self.notifier.status("starting: waiting for Asterisk to finish booting")
        await wait_booted(ami)
        writer = OutcomeWriter(store, journal=self.journal, switch_rules=self.switch_rules)
        writer.restore(self._left_in_journal)
        self._ami, self._writer = ami, writer
        self._open_inbound(ami, store)
        self.keeper = StatusKeeper(self, store, self.config.redis, self.clock, self.loop_lag)
        http = self._http_server(store)
        try:
            await http.start(self.config.metrics.listen)
            return await self._serve(ami, writer, campaigns, duration_s, progress)
        finally:
            await http.close()
            await ami.close()
            await self._close_stores(store)

    def _http_server(self, store: PgStore) -> HttpServer:
        """The pages and the API's POSTs (dispositions, callbacks, preview: docs/api.md)."""
        token = self.config.metrics.token
        collector = DaemonCollector(self, self.clock.monotonic)
        api = Api(store, lambda: {n: r.campaign for n, r in self.runners.items()}, self.clock)
        self.preview = PreviewDesk(store, self.config.node, self.clock, lambda: self.runners)
        routes = api.routes() | self.preview.routes()
        return HttpServer(Endpoints(self, collector, token.reveal() if token else None, routes))

    async def _close_stores(self, store: PgStore) -> None:
        if self._cdr_store is not None:
            await self._cdr_store.close()
        if self._dnc_lists is not None:
            await self._dnc_lists.close()
        await store.close()
        self.journal.close()
        if isinstance(self._caller_ids, RedisStore):
            with contextlib.suppress(CallerIdError):
                await self._caller_ids.aclose()

    async def _serve(
        self,
        ami: AmiClient,
        writer: OutcomeWriter,
        campaigns: dict[str, Campaign],
        duration_s: float | None,
        progress: bool,
    ) -> int:
        self._install_signals()
        self._wiring = Wiring(
            self.config.node,
            self._store(),
            ami,
            writer,
            self.clock,
            self._register,
            self._unregister,
            self._rotator_for,
            Sharing(self.config.trunks),
            self.connected.put if self.connected else lambda _: None,
        )
        async with asyncio.TaskGroup() as group:
            self._group = group
            self._spawn(self._pump(ami), "ami-events")
            self._spawn(writer.run(), "outcome-writer")
            if self._dispositions is not None:
                self._spawn(self._dispositions.run(), "dispositions")
            if self._inbound is not None:
                self._spawn(self._inbound.run(), "inbound-desk")
            if self.preview is not None:
                self._spawn(self.preview.run(), "preview-desk")
            self._spawn(self._keeper().run(), "status-checks")
            self._spawn(self.loop_lag.run(), "loop-lag")
            if self.webhooks is not None:
                self._spawn(self.webhooks.run(), "webhooks")
            if self.connected is not None:
                self._spawn(self.connected.run(), "call-connected-events")
            self._start_reconciler()
            if isinstance(self.store, PgStore):  # settles overdue callbacks, counts them
                self.callbacks = CallbackKeeper(PgCallbacks(self.store), self.clock, self._followed)
                self._spawn(self.callbacks.run(), "callbacks")
            for campaign in campaigns.values():
                await self._start_runner(campaign)
            await self._reconcile(ami, writer)
            log.info("daemon_started", node=self.config.node, campaigns=sorted(self.runners))
            self._spawn(self.notifier.keep_alive(), "watchdog")
            self._spawn(self._count_leads(), "lead-counts")
            self.notifier.ready(dialing_status(len(self.runners)))
            self._start_extras(duration_s, progress)
            await self.stop_requested.wait()
            await self._drain(writer)
            if self.connected is not None and self.connected.pending:
                await self.connected.write_pending()  # the screen pops of the last calls
            for task in self._tasks:
                task.cancel()
        log.info("daemon_stopped", pending_outcomes=writer.pending)
        return 0

    # ---- what the metrics collector and the status pages read (in the loop) --------

    def switch_rules(self) -> dict[int, ChannelSwitchSettings]:
        """Each running campaign's retry.channel_switch, by campaign id, for the writer."""
        return {
            runner.campaign_id: rule
            for runner in self.runners.values()
            if (rule := runner.campaign.retry.channel_switch) is not None
        }

    def watched_runners(self) -> list[CampaignRunner]:
        return list(self.runners.values())

    @property
    def stopping(self) -> bool:
        return self.stop_requested.is_set()

    def status(self) -> dict[str, Any]:
        return status_document(self.config.node, self, self._keeper())

    def health(self) -> tuple[bool, dict[str, Any]]:
        return health(self, self._keeper())

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        return readiness(self, self._keeper())

    def _keeper(self) -> StatusKeeper:
        assert self.keeper is not None
        return self.keeper

    @property
    def ami_connected(self) -> bool:
        return self._ami is not None and self._ami.connected

    @property
    def pending_outcomes(self) -> int:
        return self._writer.pending if self._writer is not None else 0

    @property
    def outcome_writer(self) -> OutcomeWriter | None:
        return self._writer

    @property
    def ami(self) -> AmiClient | None:
        return self._ami

    async def _count_leads(self) -> None:
        assert self.lead_counter is not None
        await self.lead_counter.run(lambda: [r.campaign_id for r in self.runners.values()])

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        assert self._group is not None
        task = self._group.create_task(work, name=name)
        self._tasks.append(task)
        return task

    def _store(self) -> Store:
        assert self.store is not None
        return self.store

    def _start_extras(self, duration_s: float | None, progress: bool) -> None:
        if duration_s is not None:
            self._spawn(self._stop_after(duration_s), "duration")
        if progress:
            self._spawn(self._print_progress(), "progress")

    async def _start_runner(self, campaign: Campaign) -> None:
        if not campaign.enabled or campaign.name in self.runners:
            return
        assert self._wiring is not None
        campaign_id = await self._store().ensure_campaign(campaign.name)
        runner = CampaignRunner(campaign, campaign_id, self._wiring)
        self.runners[campaign.name] = runner
        self._loops[campaign.name] = self._spawn(runner.run(), f"campaign-{campaign.name}")

    def _resume(self, runner: CampaignRunner) -> None:
        """A campaign stopped by an earlier reload and back in this one dials again."""
        runner.stopping = False
        name = runner.campaign.name
        if self._loops[name].done():  # its loop ended; its calls kept being tracked
            self._loops[name] = self._spawn(runner.run(), f"campaign-{name}")
        log.info("campaign_resumed", campaign=name)

    def request_stop(self) -> None:
        if not self.stop_requested.is_set():
            log.info("stop_requested")
            calls = sum(r.live_calls for r in self.runners.values())
            self.notifier.stopping(f"draining: {calls} calls in progress, writing outcomes")
        self.stop_requested.set()

    async def _stop_after(self, duration_s: float) -> None:
        await asyncio.sleep(duration_s)
        self.request_stop()

    async def _drain(self, writer: OutcomeWriter) -> None:
        for runner in self.runners.values():
            runner.stopping = True
            runner.wake()
        await self._wait_for_calls(self.config.shutdown_grace_s)
        left = sum(r.live_calls for r in self.runners.values())
        if left:
            log.warning("calls_left_in_progress", calls=left)  # reconciled at the next start
        if not await writer.drain(timeout_s=60):
            log.error("outcomes_not_written", pending=writer.pending)

    async def _wait_for_calls(self, grace_s: float) -> None:
        """Until every call has ended or the grace is over; a call whose last event never
        comes is settled as unknown meanwhile (the dial loops that do it have stopped)."""
        deadline = self.clock.monotonic() + grace_s
        runners = list(self.runners.values())
        while any(r.live_calls for r in runners):
            left_s = deadline - self.clock.monotonic()
            if left_s <= 0:
                return
            for runner in runners:
                runner.settle_overdue()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left_s, 1.0)):
                    await asyncio.gather(*(r.idle.wait() for r in runners))

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop)
        loop.add_signal_handler(signal.SIGINT, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        loop.add_signal_handler(signal.SIGUSR2, log_tasks)

    # ---- events -------------------------------------------------------------------

    def _rotator_for(self, campaign: Campaign) -> CallerIdRotator | None:
        if campaign.caller_ids is None:
            return None
        assert self._records is not None
        assert self._caller_ids is not None
        return CallerIdRotator.create(campaign.caller_ids, self._caller_ids, self._records)

    def _register(self, key: str, runner: CampaignRunner) -> None:
        self.calls[key] = runner

    def _unregister(self, key: str) -> None:
        self.calls.pop(key, None)

    async def _pump(self, ami: AmiClient) -> None:
        while True:
            try:
                async with ami.events() as stream:
                    await self._consume(stream)
                return
            except AmiError as exc:  # the stream overflowed: resynchronise
                log.warning("event_stream_lost", error=str(exc))
                await self._on_connection(False)
                await self._on_connection(True)

    async def _consume(self, stream: EventStream) -> None:
        async for item in stream:
            if isinstance(item, ConnectionStateChanged):
                await self._on_connection(item.connected)
            else:
                self.dispatch(item)

    def dispatch(self, event: Event) -> None:
        if event.name in QUEUE_CALL_EVENTS:
            self._blended(event)
        if self._dispositions is not None and is_disposition(event):
            self._dispositions.offer(event)
            return
        if self._inbound is not None and self._inbound.wants(event):
            self._inbound.offer(event)  # an inbound call's AgentConnect matters to no runner
            return
        if event.name in AGENT_EVENTS:
            queue = event.get("Queue")
            for runner in self.runners.values():
                if runner.campaign.queue == queue:
                    runner.on_agent_event(event)
        translated = call_event(event)
        if translated is None:
            return
        key = call_key(event)
        owner = self.calls.get(key) if key else None
        if owner is not None and key is not None:
            owner.on_call_event(key, translated)

    def _blended(self, event: Event) -> None:
        """A queue call's start or end, to the campaigns whose agents take that queue's
        calls (dialerd.blended); read only, the event goes on to its other readers."""
        queue = event.get("Queue")
        key = call_key(event)
        ours = key is not None and key in self.calls
        for runner in self.runners.values():
            if queue in blended_queues(runner.campaign):
                runner.on_inbound_event(event, ours)

    async def _on_connection(self, connected: bool) -> None:
        log.info("ami_connection_changed", connected=connected)
        up = dialing_status(sum(not r.stopping for r in self.runners.values()))
        self.notifier.status(up if connected else "AMI connection lost: reconnecting")
        if connected and self._ami is not None:
            await wait_booted(self._ami)  # a restarted Asterisk takes logins before app_queue
        for runner in self.runners.values():
            if connected:
                await runner.on_reconnected()
            else:
                runner.on_connection_lost()

    # ---- reconciliation of attempts left open by a crash --------------------------

    async def _reconcile(self, ami: AmiClient, writer: OutcomeWriter) -> None:
        """Attempts this node left open (a crash): follow the live ones, settle the rest.

        A call still up in Asterisk is adopted by its campaign's runner and ends with its
        true outcome; a call that is gone ends as unknown, and its phone waits an hour:
        it may have rung, so it is never dialled again at once.
        """
        restored = {result.attempt_id for result, _ in self._left_in_journal}
        open_attempts = [
            a
            for a in await self._store().open_attempts(self.config.node)
            if a.attempt_id not in restored  # its result is on its way from the journal
            # the runners dial already: their own new calls are not an earlier run's
            and a.created_at < self._started_at
        ]
        if not open_attempts:
            return
        listing = await ami.send_list_action("CoreShowChannels")
        listing.response.raise_for_error()  # an error lists nothing: no call is "gone" then
        channels = live_channels(listing.events)
        by_id = {runner.campaign_id: runner for runner in self.runners.values()}
        now = self.clock.now()
        adopted = 0
        for attempt in open_attempts:
            channel = channels.get(str(attempt.attempt_id))
            runner = by_id.get(attempt.campaign_id)
            if channel is not None and runner is not None:
                runner.adopt(attempt, channel)
                adopted += 1
                continue
            result = AttemptResult(
                attempt.attempt_id,
                Outcome.UNKNOWN,
                ended_at=now,
                originated_at=attempt.originated_at,
            )
            retry_at = now + timedelta(seconds=UNKNOWN_RETRY_S)
            writer.put(result, [NextDial(attempt.phone_id, PhoneState.SCHEDULED, retry_at)])
        log.info("attempts_reconciled", open=len(open_attempts), adopted=adopted)

    def _start_reconciler(self) -> None:
        """Unknown outcomes settled from Asterisk's CDRs (dialerd/reconcile.py)."""
        settings = self.config.reconcile
        if not settings.enabled or not isinstance(self.store, PgStore):
            return
        cdr = settings.cdr_database
        if cdr is not None:
            self._cdr_store = PgStore(database_url(cdr.url, cdr.reveal()), pool_size=1)
        storage = PgReconcile(self.store, self._cdr_store)
        self.reconciler = Reconciler(
            storage,
            self.clock.now,
            interval_s=settings.interval_s,
            lookback_h=settings.lookback_h,
        )
        self._spawn(self.reconciler.run(), "cdr-reconcile")

    def _followed(self) -> list[str]:
        return list(self.followups)

    def _callback_deadline(self, campaign: str) -> int | None:
        """A running campaign's callbacks.deadline_s, for a callback disposition."""
        return deadline_of(r.campaign if (r := self.runners.get(campaign)) else None)

    def _set_followups(self, campaigns: dict[str, Campaign]) -> None:
        """What outcomes call for and where events go: at start (before the journal's
        results are written) and at every reload."""
        self.followups = followup_settings(campaigns)
        if isinstance(self.store, PgStore):
            self.store.followup_rules = {name: f.rules() for name, f in self.followups.items()}

    def _open_inbound(self, ami: AmiClient, store: PgStore) -> None:
        settings = self.config.inbound
        if not settings.enabled:
            return
        url = database_url(self.config.database.url, self.config.database.reveal())
        self._dnc_lists = PgDncLists(url)
        self._inbound = InboundDesk(
            PgInbound(store),
            self._dnc_lists,
            AmiChannels(ami),
            affinity=self._caller_ids,
            world=self._inbound_world,
            settings=settings,
            node=self.config.node,
            now=self.clock.now,
        )

    def _inbound_world(self) -> tuple[dict[str, Campaign], dict[str, int]]:
        """The campaigns a callback may belong to, and how many agents each has logged in."""
        runners = [r for r in self.runners.values() if not r.stopping]
        campaigns = {r.campaign.name: r.campaign for r in runners}
        return campaigns, {r.campaign.name: r.board.logged_in_count() for r in runners}

    def _open_journal(self) -> None:
        self.journal.open()
        self._left_in_journal = self.journal.read()
        if self._left_in_journal:
            log.info("journal_replayed", results=len(self._left_in_journal))

    # ---- reload and progress ------------------------------------------------------

    def reload(self) -> None:
        self.notifier.reloading(self.clock.monotonic())
        try:
            campaigns = load_campaigns(self.campaigns_dir, self.config.trunks)
        except ConfigError as exc:
            self.reload_failures += 1
            self.last_reload = ReloadResult(ok=False, at=self.clock.now().timestamp())
            for problem in exc.problems:
                log.error("config_reload_rejected", problem=str(problem))
            active = sum(not r.stopping for r in self.runners.values())
            self.notifier.ready(f"{dialing_status(active)}; reload rejected, see the log")
            return
        for name, runner in self.runners.items():
            if name in campaigns and campaigns[name].enabled:
                runner.reconfigure(campaigns[name], self._rotator_for(campaigns[name]))
                if runner.stopping:
                    self._resume(runner)
            else:
                runner.stopping = True  # calls in progress still end and are recorded
        for campaign in campaigns.values():
            if campaign.name not in self.runners:
                self._spawn(self._start_runner(campaign), f"start-{campaign.name}")
        self._set_followups(campaigns)
        self.last_reload = ReloadResult(ok=True, at=self.clock.now().timestamp())
        log.info("config_reloaded", campaigns=sorted(campaigns))
        self.notifier.ready(dialing_status(sum(c.enabled for c in campaigns.values())))

    async def _print_progress(self, out: Callable[[str], object] = sys.stderr.write) -> None:
        while True:
            await asyncio.sleep(1.0)
            for runner in self.runners.values():
                out(progress_line(runner, self.clock.monotonic()) + "\n")
