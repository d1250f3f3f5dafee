"""What /status, /healthz and /readyz answer, and the checks kept fresh for them.

Everything here runs in the daemon's event loop (dialerd.http serves from it too), so a page
is built from the runners' state in one step of the loop: nothing changes while it is read.
The `StatusKeeper` task does the periodic work the pages must not do per request: it asks
PostgreSQL for the lead outlook of each campaign whose last round found nothing to dial
(so "nothing due now" and "list exhausted" can be told apart), checks that PostgreSQL (and
Redis, when configured) answer. How late the event loop wakes up comes from the daemon's
loop-lag probe (dialerd.probes.LoopLag), the one the metrics read too.

* /healthz: the process is alive and its loop responsive: 200 unless the loop woke more
  than `LAG_LIMIT_S` late at its last beat or a campaign's dial loop has not finished a round
  for `STALLED_ROUND_S` (a restart is the cure for either); 503 otherwise.
* /readyz: the daemon can dial: AMI connected, PostgreSQL answered within `FRESH_S`, Redis
  too when configured, and no stop requested; 200 or 503, naming each check.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from dialerd.agent_states import agent_views, count_states, dialer_agents
from dialerd.agents import INUSE, RINGING, AgentBoard
from dialerd.config import RedisSettings
from dialerd.errors import DialerdError
from dialerd.ports import Clock, Store
from dialerd.probes import LoopLag
from dialerd.reasons import LeadOutlook, RunnerFacts, Stop, reasons
from dialerd.service import ping_redis
from pacing.blended import MIN_LEARNT
from pacing.controller import risk_limit

if TYPE_CHECKING:
    from dialerd.campaign import CampaignRunner

log = structlog.get_logger("dialerd.status")

PROBE_INTERVAL_S = 10.0  # lead outlooks, PostgreSQL and Redis checks
FRESH_S = 30.0  # a dependency last seen answering longer ago than this is not ready
LAG_LIMIT_S = 5.0  # the event loop woke this late: Originates and events wait as long
STALLED_ROUND_S = 120.0
NEEDS_OUTLOOK = frozenset({Stop.NOTHING_DUE, Stop.SCREENED})

Document = dict[str, Any]


class Watched(Protocol):
    """What the daemon shows the status pages."""

    def watched_runners(self) -> Iterable[CampaignRunner]: ...

    @property
    def ami_connected(self) -> bool: ...

    @property
    def stopping(self) -> bool: ...


@dataclass
class Check:
    """A dependency's last successful check, on the monotonic clock."""

    ok_at: float
    error: str = ""

    def fresh(self, now: float) -> bool:
        return now - self.ok_at <= FRESH_S

    def document(self, now: float) -> Document:
        ok = self.fresh(now)
        return {
            "ok": ok,
            "last_ok_s_ago": round(now - self.ok_at, 1),
            "error": self.error or (None if ok else "no answer lately"),  # the last probe's
        }


class StatusKeeper:
    def __init__(
        self,
        daemon: Watched,
        store: Store,
        redis: RedisSettings | None,
        clock: Clock,
        lag: LoopLag,
    ) -> None:
        self._daemon = daemon
        self._store = store
        self._redis = redis
        self.clock = clock
        start = clock.monotonic()  # the daemon checked both before it started
        self.started_at = start
        self.database = Check(start)
        self.redis = Check(start) if redis is not None else None
        self.lag = lag  # the daemon's loop-lag probe (dialerd.probes), also the metrics'

    async def run(self) -> None:
        while True:
            try:
                await self.probe()
            except Exception:  # a bug in a status check must never stop the dialling
                log.exception("status_check_failed")
            await asyncio.sleep(PROBE_INTERVAL_S)

    @property
    def loop_lag_s(self) -> float:
        return self.lag.last_s

    async def probe(self) -> None:
        asked = [r for r in self._daemon.watched_runners() if r.last_stop in NEEDS_OUTLOOK]
        try:
            for runner in asked:
                runner.outlook = await self._store.lead_outlook(
                    runner.campaign_id, self.clock.now()
                )
            if not asked:
                await self._store.ping()
        except DialerdError as exc:
            self.database.error = str(exc)
        else:
            self.database = Check(self.clock.monotonic())
        if self._redis is not None:
            await self._probe_redis(self._redis)

    async def _probe_redis(self, settings: RedisSettings) -> None:
        assert self.redis is not None
        try:
            await ping_redis(settings, timeout_s=2.0)
        except DialerdError as exc:
            self.redis.error = str(exc)
        else:
            self.redis = Check(self.clock.monotonic())


# ---- the pages ------------------------------------------------------------------------


def status_document(node: str, daemon: Watched, keeper: StatusKeeper) -> Document:
    now = keeper.clock.monotonic()
    return {
        "node": node,
        "version": version("dialerd"),
        "time": keeper.clock.now().isoformat(timespec="seconds"),
        "stopping": daemon.stopping,
        "ami": {"connected": daemon.ami_connected},
        "database": keeper.database.document(now),
        "redis": keeper.redis.document(now) if keeper.redis is not None else None,
        "campaigns": campaign_documents(list(daemon.watched_runners()), now),
    }


def campaign_documents(runners: list[CampaignRunner], now: float) -> list[Document]:
    on_calls = dialer_agents(runners)
    return [
        campaign_document(r, now)
        | agent_states_document(r, now, on_calls)
        | inbound_document(r, now)
        for r in runners
    ]


def inbound_document(runner: CampaignRunner, now: float) -> Document:
    """The inbound calls its agents are on, and each inbound queue's learnt handle times
    (docs/pacing.md#blended-agents)."""
    busy = runner.board.busy_interfaces()
    on_calls = [
        {"agent": member, "queue": call.queue, "elapsed_s": round(now - call.since, 1)}
        for member, call in sorted(runner.inbound.calls.items())
        if member in busy
    ]
    queues = [
        {
            "queue": m.queue,
            "calls_learnt": round(m.tabled.handle.observed_calls, 1),
            "mean_talk_s": round(m.tabled.handle.observed_mean_s, 1),
            "forecast": "own" if m.tabled.handle.observed_calls >= MIN_LEARNT else "campaign",
        }
        for m in runner.pacer.state.queues
    ]
    arrivals = runner.pacer.state.arrivals.per_s(now)
    document = {"on_calls": on_calls, "waiting": len(runner.inbound.waiting), "queues": queues}
    return {"inbound": document | {"connects_per_hour": round(3600 * arrivals, 1)}}


def agent_states_document(
    runner: CampaignRunner, now: float, on_dialer_calls: frozenset[str]
) -> Document:
    """Each queue member's state (docs/operations.md#status), and their counts."""
    views = agent_views(runner.board, now, on_dialer_calls)
    return {"agent_states": count_states(views), "agent_list": [v.document() for v in views]}


def campaign_document(runner: CampaignRunner, now: float) -> Document:
    facts = runner_facts(runner)
    why = reasons(facts)
    decision = runner.last_decision
    return {
        "name": runner.campaign.name,
        "state": campaign_state(runner),
        "mode": runner.campaign.mode,
        "queue": runner.campaign.queue,
        "dial_level": round(decision.dial_level, 3),
        "agents": agents_by_state(runner.board, now),
        "lines": {"in_use": runner.live_calls, "max": runner.campaign.lines.max_lines},
        "dials": runner.dials,
        "abandon": abandon_document(runner, now),
        "last_decision": decision.reason,
        "reasons": [{"code": w.code.value, "text": w.text} for w in why],
        "leads": outlook_document(runner.outlook),
    }


def runner_facts(runner: CampaignRunner) -> RunnerFacts:
    return RunnerFacts(
        stop=runner.last_stop,
        stopping=runner.stopping,
        decision=runner.last_decision,
        inputs=runner.last_inputs,
        queue=runner.campaign.queue,
        batch=runner.last_batch,
        outlook=runner.outlook,
        error=runner.last_error,
    )


def campaign_state(runner: CampaignRunner) -> str:
    if runner.stopping:
        return "stopping"
    if runner.last_stop is Stop.STARTING:
        return "starting"
    dialing = runner.live_calls > 0 or runner.last_stop is Stop.DIALLED
    return "dialing" if dialing else "not_dialing"


def agents_by_state(board: AgentBoard, now: float) -> dict[str, int]:
    counts = dict.fromkeys(("ready", "busy", "wrapup", "paused", "logged_out", "other"), 0)
    for agent in board.agents.values():
        if not agent.logged_in:
            state = "logged_out"
        elif agent.paused:
            state = "paused"
        elif agent.in_call or agent.status in (INUSE, RINGING):
            state = "busy"
        elif agent.ready(now):
            state = "ready"
        elif agent.wrapup_until > now:
            state = "wrapup"
        else:
            state = "other"  # a device state Asterisk reports as neither free nor in use
        counts[state] += 1
    return counts


def abandon_document(runner: CampaignRunner, now: float) -> Document:
    pacer, settings = runner.pacer, runner.pacer.settings
    window = pacer.window
    _, budget = risk_limit(window, settings.abandon_target)
    read_at = pacer.window_read_at
    return {
        "window": settings.window.value,
        "connected": window.connected,
        "abandoned": window.abandoned,
        "rate": round(window.rate, 5),
        "target": settings.abandon_target,
        "budget_calls": round(budget, 2),
        "read_s_ago": round(now - read_at, 1) if math.isfinite(read_at) else None,
    }


def outlook_document(outlook: LeadOutlook | None) -> Document | None:
    if outlook is None:
        return None
    return {
        "next_due_at": _iso(outlook.next_due_at),
        "in_progress": outlook.in_progress,
        "exhausted": outlook.exhausted,
        "read_at": _iso(outlook.read_at),
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at is not None else None


def health(daemon: Watched, keeper: StatusKeeper) -> tuple[bool, Document]:
    now = keeper.clock.monotonic()
    problems = []
    if keeper.loop_lag_s > LAG_LIMIT_S:
        problems.append(f"the event loop woke {keeper.loop_lag_s:.1f} s late")
    for runner in daemon.watched_runners():
        stalled_s = now - runner.round_done_at
        if not runner.stopping and stalled_s > STALLED_ROUND_S:
            problems.append(f"campaign {runner.campaign.name}: no dial round for {stalled_s:.0f} s")
    document = {
        "ok": not problems,
        "uptime_s": round(now - keeper.started_at, 1),
        "loop_lag_s": round(keeper.loop_lag_s, 3),
        "problems": problems,
    }
    return not problems, document


def readiness(daemon: Watched, keeper: StatusKeeper) -> tuple[bool, Document]:
    now = keeper.clock.monotonic()
    checks: Document = {
        "ami": {"ok": daemon.ami_connected},
        "database": keeper.database.document(now),
        "not_stopping": {"ok": not daemon.stopping},
    }
    if keeper.redis is not None:
        checks["redis"] = keeper.redis.document(now)
    ready = all(check["ok"] for check in checks.values())
    return ready, {"ok": ready, "checks": checks}
