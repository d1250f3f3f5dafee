"""/healthz and /readyz, and the periodic checks behind them, with hand-written fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from dialerd.agents import INUSE, NOT_INUSE, UNAVAILABLE, Agent, AgentBoard
from dialerd.probes import LoopLag
from dialerd.reasons import LeadOutlook, Stop
from dialerd.status import (
    FRESH_S,
    LAG_LIMIT_S,
    STALLED_ROUND_S,
    StatusKeeper,
    agents_by_state,
    health,
    readiness,
)
from dialerd.storage import StorageUnavailable

START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


class StepClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t - 1000.0)


@dataclass
class FakeStore:
    down: bool = False
    asked: list[int] = field(default_factory=list)
    pings: int = 0

    async def lead_outlook(self, campaign_id: int, now: datetime) -> LeadOutlook:
        self._maybe_fail()
        self.asked.append(campaign_id)
        return LeadOutlook(None, 0, read_at=now)

    async def ping(self) -> None:
        self._maybe_fail()
        self.pings += 1

    def _maybe_fail(self) -> None:
        if self.down:
            raise StorageUnavailable("connection refused")


def runner(campaign_id: int, stop: Stop, round_done_at: float = 1000.0) -> Any:
    return SimpleNamespace(
        campaign_id=campaign_id,
        campaign=SimpleNamespace(name=f"c{campaign_id}"),
        last_stop=stop,
        outlook=None,
        stopping=False,
        round_done_at=round_done_at,
    )


@dataclass
class FakeDaemon:
    runners: list[Any] = field(default_factory=list)
    ami_connected: bool = True
    stopping: bool = False

    def watched_runners(self) -> list[Any]:
        return self.runners


def keeper_for(daemon: FakeDaemon, store: FakeStore) -> tuple[StatusKeeper, StepClock]:
    clock = StepClock()
    lag = LoopLag(clock.monotonic)
    return StatusKeeper(daemon, store, None, clock, lag), clock  # type: ignore[arg-type]


async def test_only_campaigns_with_nothing_to_dial_get_an_outlook() -> None:
    idle, busy = runner(1, Stop.NOTHING_DUE), runner(2, Stop.DIALLED)
    store = FakeStore()
    keeper, _ = keeper_for(FakeDaemon([idle, busy]), store)
    await keeper.probe()
    assert store.asked == [1]
    assert idle.outlook is not None
    assert busy.outlook is None
    assert store.pings == 0  # the outlook query was the database check


async def test_with_no_outlook_to_read_the_database_is_pinged() -> None:
    store = FakeStore()
    keeper, _ = keeper_for(FakeDaemon([runner(1, Stop.DIALLED)]), store)
    await keeper.probe()
    assert store.pings == 1


async def test_a_database_silent_for_longer_than_fresh_s_is_not_ready() -> None:
    daemon, store = FakeDaemon(), FakeStore()
    keeper, clock = keeper_for(daemon, store)
    assert readiness(daemon, keeper)[0] is True
    store.down = True
    clock.t += FRESH_S / 2
    await keeper.probe()
    ready, document = readiness(daemon, keeper)
    assert ready is True  # one failed check within FRESH_S: still ready
    assert document["checks"]["database"]["error"] == "connection refused"
    clock.t += FRESH_S
    await keeper.probe()
    ready, document = readiness(daemon, keeper)
    assert ready is False
    assert document["checks"]["database"]["ok"] is False
    store.down = False
    await keeper.probe()
    assert readiness(daemon, keeper)[0] is True


def test_ami_down_or_a_stop_requested_is_not_ready_but_alive() -> None:
    daemon = FakeDaemon(ami_connected=False)
    keeper, _ = keeper_for(daemon, FakeStore())
    ready, document = readiness(daemon, keeper)
    assert ready is False
    assert document["checks"]["ami"] == {"ok": False}
    assert health(daemon, keeper)[0] is True
    daemon.ami_connected, daemon.stopping = True, True
    assert readiness(daemon, keeper)[0] is False


def test_a_late_event_loop_or_a_stalled_dial_loop_is_unhealthy() -> None:
    daemon = FakeDaemon([runner(1, Stop.DIALLED)])
    keeper, clock = keeper_for(daemon, FakeStore())
    assert health(daemon, keeper) == (
        True,
        {"ok": True, "uptime_s": 0.0, "loop_lag_s": 0.0, "problems": []},
    )
    keeper.lag.last_s = LAG_LIMIT_S + 1
    assert health(daemon, keeper)[0] is False
    keeper.lag.last_s = 0.0
    clock.t += STALLED_ROUND_S + 1
    healthy, document = health(daemon, keeper)
    assert healthy is False
    assert document["problems"] == ["campaign c1: no dial round for 121 s"]
    daemon.runners[0].stopping = True  # a stopped campaign's loop has ended on purpose
    assert health(daemon, keeper)[0] is True


def test_agents_are_counted_by_state() -> None:
    now = 50.0
    agents = [
        Agent("a", "a", NOT_INUSE, paused=False, in_call=False),
        Agent("b", "b", INUSE, paused=False, in_call=True),
        Agent("c", "c", NOT_INUSE, paused=False, in_call=False, wrapup_until=now + 5),
        Agent("d", "d", NOT_INUSE, paused=True, in_call=False),
        Agent("e", "e", UNAVAILABLE, paused=False, in_call=False),
    ]
    board = AgentBoard("q", 10.0, {a.interface: a for a in agents})
    counts = agents_by_state(board, now)
    expected = {"ready": 1, "busy": 1, "wrapup": 1, "paused": 1, "logged_out": 1, "other": 0}
    assert counts == expected
