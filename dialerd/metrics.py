"""Prometheus metrics, read from the running campaigns at scrape time.

A collector turns the runners' own counts into metric families when Prometheus scrapes, so
nothing in the dialing path increments a metric and no count can drift from what the
runner knows. dialerd.http serves them from the daemon's event loop, between two of its
steps; what is read here is still copied first (a copy of a dict), never iterated as it changes.
Labels are bounded: campaign, outcome, agent state, and the pool numbers of a campaign's
caller-ID pool (a short list from its YAML) — never a customer's number. docs/metrics.md
lists every metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from caller_id_pool import NumberState

if TYPE_CHECKING:
    from dialerd.campaign import CampaignRunner

Clock = Callable[[], float]


class Watched(Protocol):
    """What the daemon shows the collector."""

    def watched_runners(self) -> Iterable[CampaignRunner]: ...

    @property
    def reload_failures(self) -> int: ...

    @property
    def ami_connected(self) -> bool: ...

    @property
    def pending_outcomes(self) -> int: ...


class DaemonCollector:
    def __init__(self, daemon: Watched, monotonic: Clock) -> None:
        self._daemon = daemon
        self._monotonic = monotonic

    def collect(self) -> Iterator[Metric]:
        runners = list(self._daemon.watched_runners())
        yield from _call_metrics(runners)
        yield from _line_and_agent_metrics(runners, self._monotonic())
        yield from _caller_id_metrics(runners)
        yield from _pacing_metrics(runners)
        yield from _daemon_metrics(self._daemon)


def _daemon_metrics(daemon: Watched) -> Iterator[Metric]:
    ami = GaugeMetricFamily("dialerd_ami_connected", "1 while the AMI connection is up")
    ami.add_metric([], 1.0 if daemon.ami_connected else 0.0)
    reloads = CounterMetricFamily(
        "dialerd_config_reload_failures", "Reloads refused: the running configuration was kept"
    )
    reloads.add_metric([], daemon.reload_failures)
    pending = GaugeMetricFamily(
        "dialerd_outcomes_pending", "Outcomes waiting to be written to PostgreSQL"
    )
    pending.add_metric([], daemon.pending_outcomes)
    return iter((ami, reloads, pending))


def _call_metrics(runners: list[CampaignRunner]) -> Iterator[Metric]:
    calls = CounterMetricFamily(
        "dialerd_calls", "Call attempts ended, by outcome", labels=["campaign", "outcome"]
    )
    dials = CounterMetricFamily("dialerd_dials", "Originates sent", labels=["campaign"])
    deferred = CounterMetricFamily(
        "dialerd_dials_deferred",
        "Claimed dials put off because no caller ID could be presented",
        labels=["campaign"],
    )
    for runner in runners:
        name = runner.campaign.name
        for outcome, count in dict(runner.outcomes).items():
            calls.add_metric([name, outcome.value], count)
        dials.add_metric([name], runner.dials)
        deferred.add_metric([name], runner.deferred)
    return iter((calls, dials, deferred))


def _line_and_agent_metrics(runners: list[CampaignRunner], now: float) -> Iterator[Metric]:
    lines = GaugeMetricFamily(
        "dialerd_lines_in_use",
        "Calls in progress (ringing, answered, talking)",
        labels=["campaign"],
    )
    agents = GaugeMetricFamily(
        "dialerd_agents", "Queue members by state", labels=["campaign", "state"]
    )
    for runner in runners:
        name, board = runner.campaign.name, runner.board
        lines.add_metric([name], runner.live_calls)
        agents.add_metric([name, "ready"], board.ready_count(now))
        agents.add_metric([name, "busy"], board.busy_count())
    return iter((lines, agents))


def _caller_id_metrics(runners: list[CampaignRunner]) -> Iterator[Metric]:
    state = GaugeMetricFamily(
        "dialerd_caller_id_state",
        "1 for the state each pool number is in (active, quarantined, retired)",
        labels=["campaign", "number", "state"],
    )
    for runner in runners:
        if runner.rotator is None:
            continue
        for number in runner.rotator.pool:
            for each in NumberState:
                value = 1.0 if number.state is each else 0.0
                state.add_metric([runner.campaign.name, number.number, each.value], value)
    return iter((state,))


PACING_GAUGES = (
    ("dialerd_dial_level", "Calls in flight after the last decision, per staffed agent"),
    ("dialerd_agents_free_soon", "Forecast: agents expected free when the new dials answer"),
    ("dialerd_abandon_risk_limit_ratio", "Abandon risk accepted for the last dial placed"),
    ("dialerd_abandon_budget_calls", "Abandons the compliance window can still absorb"),
    ("dialerd_abandon_rate_ratio", "Abandoned / (connected + abandoned) over the window"),
    ("dialerd_dials_wanted", "Dials the last pacing decision placed"),
)


def _pacing_metrics(runners: list[CampaignRunner]) -> Iterator[Metric]:
    families = [GaugeMetricFamily(n, h, labels=["campaign"]) for n, h in PACING_GAUGES]
    for runner in runners:
        d, window = runner.last_decision, runner.pacer.window
        values = (
            d.dial_level,
            d.agents_free_soon,
            d.risk_limit,
            d.budget_left,
            window.rate,
            d.dials,
        )
        for family, value in zip(families, values, strict=True):
            family.add_metric([runner.campaign.name], float(value))
    return iter(families)
