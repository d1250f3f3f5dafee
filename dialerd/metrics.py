"""Prometheus metrics, read from the running campaigns at scrape time.

A collector turns the runners' own counts into metric families when Prometheus scrapes, so
nothing in the dialing path increments a metric and no count can drift from what the
runner knows. Latencies are observed into frozen histograms (dialerd.callstats) by the
runners, the outcome writer and the loop-lag probe; lead counts come from a background
query (dialerd.probes), never from the database at scrape time. dialerd.http serves them
from the daemon's event loop, between two of its steps; what is read here is still copied
first (a copy of a dict), never iterated as it changes. Labels are bounded: campaign,
outcome, agent state, lead state, and the caller IDs of a campaign's YAML (pool numbers, or
its one fixed number) — never a customer's number. docs/metrics.md
lists every metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from caller_id_pool import NumberState
from dialerd.agent_states import agent_views, count_states, dialer_agents, pause_reasons
from dialerd.callstats import Histogram

if TYPE_CHECKING:
    from ami import AmiClient
    from dialerd.callbacks import CallbackKeeper
    from dialerd.campaign import CampaignRunner
    from dialerd.connected_events import ConnectedWriter
    from dialerd.outcomes import OutcomeWriter
    from dialerd.probes import LeadCounter, LeadCounts, LoopLag
    from dialerd.service import ReloadResult
    from dialerd.webhooks import WebhookSender

Clock = Callable[[], float]


class Watched(Protocol):
    """What the daemon shows the collector."""

    def watched_runners(self) -> Iterable[CampaignRunner]: ...

    @property
    def reload_failures(self) -> int: ...

    @property
    def last_reload(self) -> ReloadResult: ...

    @property
    def ami_connected(self) -> bool: ...

    @property
    def pending_outcomes(self) -> int: ...

    @property
    def outcome_writer(self) -> OutcomeWriter | None: ...

    @property
    def ami(self) -> AmiClient | None: ...

    lead_counter: LeadCounter | None
    loop_lag: LoopLag
    webhooks: WebhookSender | None
    connected: ConnectedWriter | None
    callbacks: CallbackKeeper | None


class DaemonCollector:
    def __init__(self, daemon: Watched, monotonic: Clock) -> None:
        self._daemon = daemon
        self._monotonic = monotonic

    def collect(self) -> Iterator[Metric]:
        runners = list(self._daemon.watched_runners())
        yield from _call_metrics(runners)
        yield from _line_and_agent_metrics(runners, self._monotonic())
        yield from _agent_state_metrics(runners, self._monotonic())
        yield from _caller_id_metrics(runners)
        yield from _pacing_metrics(runners)
        yield from _latency_metrics(runners)
        yield from _lead_metrics(runners, self._daemon.lead_counter)
        yield from _daemon_metrics(self._daemon)
        yield from _ami_metrics(self._daemon.ami)
        yield from _writer_metrics(self._daemon.outcome_writer)
        yield from _followup_metrics(self._daemon.webhooks)
        yield from _screen_pop_metrics(self._daemon.connected)
        yield from _callback_metrics(self._daemon.callbacks)
        yield _histogram(
            "dialerd_event_loop_lag_seconds",
            "How late the event loop woke from a 0.25 s sleep",
            [([], self._daemon.loop_lag.histogram)],
        )


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
    return iter((ami, reloads, pending, *_reload_metrics(daemon.last_reload)))


def _reload_metrics(last: ReloadResult) -> Iterator[Metric]:
    ok = GaugeMetricFamily(
        "dialerd_config_last_reload_successful",
        "0 if the last SIGHUP reload was refused (the old configuration runs), else 1",
    )
    ok.add_metric([], 1.0 if last.ok else 0.0)
    yield ok
    at = GaugeMetricFamily(
        "dialerd_config_last_reload_timestamp_seconds",
        "When the configuration was last loaded: at start, or the last SIGHUP",
    )
    at.add_metric([], last.at)
    yield at


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
    amd = CounterMetricFamily(
        "dialerd_amd_results",
        "Answered calls classified by answering machine detection, by result and action",
        labels=["campaign", "status", "action"],
    )
    for runner in runners:
        name = runner.campaign.name
        for outcome, count in dict(runner.outcomes).items():
            calls.add_metric([name, outcome.value], count)
        dials.add_metric([name], runner.dials)
        deferred.add_metric([name], runner.deferred)
        for (status, action), count in dict(runner.amd_results).items():
            amd.add_metric([name, status, action], count)
    return iter((calls, dials, deferred, amd))


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


def _agent_state_metrics(runners: list[CampaignRunner], now: float) -> Iterator[Metric]:
    states = GaugeMetricFamily(
        "dialerd_agent_states",
        "Queue members by what they are doing (docs/metrics.md#agent-states)",
        labels=["campaign", "state"],
    )
    paused = GaugeMetricFamily(
        "dialerd_agents_paused",
        "Paused queue members by Asterisk's pause reason",
        labels=["campaign", "reason"],
    )
    on_calls = dialer_agents(runners)
    for runner in runners:
        name = runner.campaign.name
        views = agent_views(runner.board, now, on_calls)
        for state, count in count_states(views).items():
            states.add_metric([name, state], count)
        for reason, count in pause_reasons(views).items():
            paused.add_metric([name, reason], count)
    return iter((states, paused))


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
    return iter((state, _caller_id_dials(runners)))


PACING_GAUGES = (
    ("dialerd_dial_level", "Calls in flight after the last decision, per staffed agent"),
    ("dialerd_agents_free_soon", "Forecast: agents expected free when the new dials answer"),
    ("dialerd_abandon_risk_limit_ratio", "Abandon risk accepted for the last dial placed"),
    ("dialerd_abandon_budget_calls", "Abandons the compliance window can still absorb"),
    ("dialerd_abandon_rate_ratio", "Abandoned / (connected + abandoned) over the window"),
    ("dialerd_dials_wanted", "Dials the last pacing decision placed"),
    ("dialerd_abandon_target_ratio", "The campaign's abandon target (pacing.abandon_target)"),
    ("dialerd_abandon_window_answered_calls", "Live answers (connected + abandoned) in the window"),
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
            runner.pacer.settings.abandon_target,
            window.answered,
        )
        for family, value in zip(families, values, strict=True):
            family.add_metric([runner.campaign.name], float(value))
    return iter(families)


def _caller_id_dials(runners: list[CampaignRunner]) -> Metric:
    dials = CounterMetricFamily(
        "dialerd_caller_id_dials",
        "Originates sent with each caller ID presented",
        labels=["campaign", "number"],
    )
    for runner in runners:
        for number, count in dict(runner.stats.presented).items():
            dials.add_metric([runner.campaign.name, number], count)
    return dials


def _latency_metrics(runners: list[CampaignRunner]) -> Iterator[Metric]:
    yield _histogram(
        "dialerd_originate_to_answer_seconds",
        "From the Originate to the customer's answer, for answered calls",
        [([r.campaign.name], r.stats.to_answer) for r in runners],
        labels=["campaign"],
    )
    yield _histogram(
        "dialerd_answer_to_agent_seconds",
        "From the customer's answer to an agent taking the call, for connected calls",
        [([r.campaign.name], r.stats.to_agent) for r in runners],
        labels=["campaign"],
    )


LEAD_STATES = ("due", "scheduled", "exhausted")


def _lead_metrics(runners: list[CampaignRunner], counter: LeadCounter | None) -> Iterator[Metric]:
    leads = GaugeMetricFamily(
        "dialerd_leads",
        "Leads by where they stand (due, scheduled, exhausted), counted every 15 s",
        labels=["campaign", "state"],
    )
    counts = counter.counts if counter is not None else {}
    for runner in runners:
        found = counts.get(runner.campaign_id)
        if found is None:  # not counted yet: no value rather than a false 0
            continue
        for state, count in zip(LEAD_STATES, _lead_values(found), strict=True):
            leads.add_metric([runner.campaign.name, state], count)
    yield leads


def _lead_values(counts: LeadCounts) -> tuple[int, int, int]:
    return counts.due, counts.scheduled, counts.exhausted


def _ami_metrics(ami: AmiClient | None) -> Iterator[Metric]:
    reconnects = CounterMetricFamily(
        "dialerd_ami_reconnects", "Logins to the AMI after the first one (connection regained)"
    )
    reconnects.add_metric([], ami.reconnects if ami is not None else 0)
    yield reconnects
    rtt = GaugeMetricFamily("dialerd_ami_ping_rtt_seconds", "Round trip of the last AMI Ping")
    if ami is not None and ami.last_ping_rtt_s is not None:
        rtt.add_metric([], ami.last_ping_rtt_s)
    yield rtt


def _writer_metrics(writer: OutcomeWriter | None) -> Iterator[Metric]:
    written = CounterMetricFamily("dialerd_outcomes_written", "Outcomes written to PostgreSQL")
    written.add_metric([], writer.written if writer is not None else 0)
    failures = CounterMetricFamily(
        "dialerd_outcome_write_failures", "Batch writes of outcomes that failed (each retried)"
    )
    failures.add_metric([], writer.failures if writer is not None else 0)
    yield from (written, failures)
    if writer is not None:
        yield _histogram(
            "dialerd_outcome_write_seconds",
            "Time to write one batch of outcomes to PostgreSQL",
            [([], writer.write_latency)],
        )


def _followup_metrics(sender: WebhookSender | None) -> Iterator[Metric]:
    """Counts of webhook tries by campaign and kind (docs/followups.md)."""
    labels = ["campaign", "kind"]
    families = {
        "sent": CounterMetricFamily(
            "dialerd_followups_sent",
            "Follow-up events delivered (a URL answered 2xx)",
            labels=labels,
        ),
        "failed": CounterMetricFamily(
            "dialerd_followups_failed",
            "Webhook tries that failed (each retried or dead-lettered)",
            labels=labels,
        ),
        "dead": CounterMetricFamily(
            "dialerd_followups_dead_lettered",
            "Follow-up events given up after max_tries",
            labels=labels,
        ),
    }
    counts = dict(sender.counts) if sender is not None else {}
    for (campaign, kind), count in sorted(counts.items()):
        for name, family in families.items():
            family.add_metric([campaign, kind], getattr(count, name))
    return iter(families.values())


def _screen_pop_metrics(writer: ConnectedWriter | None) -> Iterator[Metric]:
    """The call_connected events waiting for PostgreSQL, and those given up (docs/agents.md)."""
    pending = GaugeMetricFamily(
        "dialerd_call_connected_pending", "call_connected events waiting to be written"
    )
    pending.add_metric([], writer.pending if writer is not None else 0)
    dropped = CounterMetricFamily(
        "dialerd_call_connected_dropped",
        "call_connected events dropped: more than 10,000 waited for PostgreSQL",
    )
    dropped.add_metric([], writer.dropped if writer is not None else 0)
    return iter((pending, dropped))


def _callback_metrics(keeper: CallbackKeeper | None) -> Iterator[Metric]:
    """Settled callback requests by campaign, as PostgreSQL counts them (every node alike)."""
    met = CounterMetricFamily(
        "dialerd_callbacks_deadline_met",
        "Callback requests whose customer reached an agent by the deadline",
        labels=["campaign"],
    )
    missed = CounterMetricFamily(
        "dialerd_callbacks_deadline_missed",
        "Callback requests not connected to an agent by the deadline",
        labels=["campaign"],
    )
    totals = keeper.totals() if keeper is not None else {}
    for campaign, (met_count, missed_count) in totals.items():
        met.add_metric([campaign], met_count)
        missed.add_metric([campaign], missed_count)
    return iter((met, missed))


def _histogram(
    name: str,
    documentation: str,
    series: Iterable[tuple[list[str], Histogram]],
    labels: list[str] | None = None,
) -> Metric:
    family = HistogramMetricFamily(name, documentation, labels=labels)
    for values, histogram in series:
        family.add_metric(values, histogram.cumulative(), sum_value=histogram.total)
    return family
