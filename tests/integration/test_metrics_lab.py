"""The daemon's metrics as a real Prometheus server sees them, against the lab.

One daemon dials a small campaign to the end (every lead once: the retries wait ten
minutes) while a throwaway Prometheus scrapes it every second with the shipped alert
rules loaded. Once everything has settled, what Prometheus stored is compared with what
PostgreSQL recorded, and the same final /metrics is checked by promtool, against
docs/metrics.md, and against every query of the Grafana dashboard.
"""

from __future__ import annotations

import asyncio
import random
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import grafana
from tests.integration.daemon import Dialer, query
from tests.integration.lab import ROOT, Lab
from tests.integration.prometheus import api, instant, prometheus_server, promtool

LEADS = 24
POOL = ("+380671000001", "+380501000001")
CAMPAIGN = """\
name: {name}
mode: progressive
queue: {queue}
wrapup_s: 2
region: UA
dial:
  trunk: "Local/{{number}}@{context}"
  ring_timeout_s: 15
  caller_name: "Lab Test"
caller_ids:
  numbers:
    - {{number: "+380671000001", per_minute: 60}}
    - {{number: "+380501000001", per_minute: 60}}
lines: {{max_lines: 20, calls_per_second: 20}}
retry:
  busy: {{delay_s: 600, max_attempts: 1}}
  no_answer: {{delay_s: 600, max_attempts: 2}}
  congestion: {{delay_s: 600, max_attempts: 1}}
  failed: {{delay_s: 600, max_attempts: 1}}
  abandoned: {{delay_s: 600, max_attempts: 1}}
  machine: {{delay_s: 600, max_attempts: 1}}
  cancelled: {{delay_s: 600}}
  unknown: {{delay_s: 600}}
  max_attempts_per_phone: 2
  max_attempts_per_lead: 2
lease_s: 30
"""
RULES = ROOT / "config" / "prometheus" / "dialerd-alerts.yml"
DOCS = ROOT / "docs" / "metrics.md"
SCHEDULED_AGAIN = ("no_answer", "cancelled", "unknown")  # retried in ten minutes
EXHAUSTED = ("busy", "congestion", "failed", "abandoned", "machine")  # one attempt allowed


@dataclass(frozen=True)
class Settled:
    dialer: Dialer
    prometheus: int  # its port
    outcomes: dict[str, int]  # from PostgreSQL
    text: str  # the daemon's final /metrics

    @property
    def campaign(self) -> str:
        return f'campaign="{self.dialer.campaign}"'


def write_leads(path: Path) -> None:
    numbers = random.Random(11).sample(range(1_000_000, 9_999_999), LEADS)
    rows = [f"M{n},Lead {n},+38050{number}" for n, number in enumerate(numbers)]
    path.write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")


def poll(check: Callable[[], object], timeout_s: float, interval_s: float = 1.0) -> None:
    """Until `check()` is True; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout_s
    while (value := check()) is not True:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s: {value}")
        time.sleep(interval_s)


def metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text: str = response.read().decode()
        return text


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def outcomes(url: str) -> dict[str, int]:
    rows = asyncio.run(
        query(
            url,
            "SELECT coalesce(outcome, 'open') AS outcome, count(*) AS n"
            " FROM call_attempts GROUP BY 1",
        )
    )
    return {row["outcome"]: row["n"] for row in rows}


def all_ended(url: str) -> bool | str:
    found = outcomes(url)
    return True if sum(found.values()) >= LEADS and "open" not in found else str(found)


def expected_leads(found: dict[str, int]) -> dict[str, int]:
    """Where the leads stand after one attempt each, by the campaign's retry rules."""
    return {
        "due": 0,
        "scheduled": sum(found.get(o, 0) for o in SCHEDULED_AGAIN),
        "exhausted": sum(found.get(o, 0) for o in EXHAUSTED),
    }


def counted_after_the_end(dialer: Dialer) -> bool | str:
    """The daemon's lead count (every 15 s) has run since the last call ended."""
    scraped = samples(metrics_text(dialer.metrics_port))
    counted = {
        dict(labels)["state"]: int(value)
        for (name, labels), value in scraped.items()
        if name == "dialerd_leads" and ("campaign", dialer.campaign) in labels
    }
    expected = expected_leads(outcomes(dialer.database_url))
    return True if counted == expected else f"dialerd_leads {counted}, expected {expected}"


def stored(prometheus: int, promql: str, expected: float) -> Callable[[], bool | str]:
    def check() -> bool | str:
        found = instant(prometheus, promql)
        values = list(found.values())
        return True if values == [expected] else f"{promql} = {found}"

    return check


@pytest.fixture(scope="module")
def settled(lab: Lab, db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settled]:
    workdir = tmp_path_factory.mktemp("metrics-lab")
    dialer = Dialer(lab, db_url, workdir, campaign="metrics", campaign_yaml=CAMPAIGN)
    write_leads(workdir / "leads.csv")
    dialer.import_csv(workdir / "leads.csv")
    target = f"127.0.0.1:{dialer.metrics_port}"
    with prometheus_server(workdir / "prometheus", [target], rules=[RULES]) as prometheus:
        dialer.start()
        try:
            poll(lambda: all_ended(db_url), timeout_s=150, interval_s=2)
            poll(lambda: counted_after_the_end(dialer), timeout_s=40)
            text = metrics_text(dialer.metrics_port)
            total = f'sum(dialerd_calls_total{{campaign="{dialer.campaign}"}})'
            poll(stored(prometheus, total, LEADS), timeout_s=30)
            for state, leads in expected_leads(outcomes(db_url)).items():
                series = f'dialerd_leads{{campaign="{dialer.campaign}", state="{state}"}}'
                poll(stored(prometheus, series, leads), timeout_s=30)
            yield Settled(dialer, prometheus, outcomes(db_url), text)
        finally:
            dialer.stop()


def test_prometheus_stores_the_calls_postgresql_recorded(settled: Settled) -> None:
    by_outcome = instant(
        settled.prometheus, f"sum by (outcome) (dialerd_calls_total{{{settled.campaign}}})"
    )
    stored = {dict(labels)["outcome"]: int(v) for labels, v in by_outcome.items() if v}
    assert stored == settled.outcomes
    assert sum(stored.values()) == LEADS


def test_prometheus_stores_the_latencies_of_answered_and_connected_calls(
    settled: Settled,
) -> None:
    answered = settled.outcomes.get("connected", 0) + settled.outcomes.get("abandoned", 0)
    assert answered > 0, settled.outcomes  # the lab answers about 40 % of calls
    assert count(settled, "dialerd_originate_to_answer_seconds_count") == answered
    assert count(settled, "dialerd_answer_to_agent_seconds_count") == settled.outcomes.get(
        "connected", 0
    )
    ring = instant(
        settled.prometheus,
        f"dialerd_originate_to_answer_seconds_sum{{{settled.campaign}}}"
        f" / dialerd_originate_to_answer_seconds_count{{{settled.campaign}}}",
    )
    assert 1 <= next(iter(ring.values())) <= 15  # the lab rings 2-6 s; ring_timeout_s is 15


def test_prometheus_stores_dials_per_caller_id_and_the_lead_counts(settled: Settled) -> None:
    per_number = instant(settled.prometheus, f"dialerd_caller_id_dials_total{{{settled.campaign}}}")
    presented = asyncio.run(
        query(
            settled.dialer.database_url,
            "SELECT caller_id, count(*) AS n FROM call_attempts GROUP BY caller_id",
        )
    )
    assert {dict(k)["number"]: int(v) for k, v in per_number.items()} == {
        r["caller_id"]: r["n"] for r in presented
    }
    assert set(POOL) >= {dict(k)["number"] for k in per_number}
    leads = instant(settled.prometheus, f"dialerd_leads{{{settled.campaign}}}")
    assert {dict(k)["state"]: int(v) for k, v in leads.items()} == expected_leads(settled.outcomes)


def test_prometheus_stores_the_daemons_own_health(settled: Settled) -> None:
    expected = {
        'up{job="dialerd"}': 1,
        "dialerd_ami_connected": 1,
        "dialerd_ami_reconnects_total": 0,
        "dialerd_outcomes_written_total": LEADS,
        "dialerd_outcome_write_failures_total": 0,
        "dialerd_outcomes_pending": 0,
    }
    for promql, value in expected.items():
        assert list(instant(settled.prometheus, promql).values()) == [value], promql
    assert single(settled, "dialerd_outcome_write_seconds_count") >= 1
    assert single(settled, "dialerd_event_loop_lag_seconds_count") >= 1
    assert single(settled, "dialerd_ami_ping_rtt_seconds") > 0


def test_the_alert_rules_evaluate_against_the_daemons_series_and_stay_quiet(
    settled: Settled,
) -> None:
    groups = api(settled.prometheus, "rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == RULES.read_text().count("- alert:")
    for rule in rules:
        assert rule["health"] == "ok", rule
    firing = api(settled.prometheus, "alerts")["alerts"]
    assert firing == []


def test_promtool_finds_nothing_wrong_with_the_metrics(settled: Settled) -> None:
    checked = promtool("check", "metrics", stdin=settled.text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""


def test_docs_list_every_metric_the_daemon_exports(settled: Settled) -> None:
    exported = {exposed_name(f.name, f.type) for f in text_string_to_metric_families(settled.text)}
    documented = {
        line.split("`")[1] for line in DOCS.read_text().splitlines() if line.startswith("| `")
    }
    assert {name for name in exported if name.startswith("dialerd_")} == documented


def test_every_dashboard_query_reads_exported_metrics_and_finds_data(settled: Settled) -> None:
    families = list(text_string_to_metric_families(settled.text))
    histograms = {f.name for f in families if f.type == "histogram"}
    exported = {s.name for f in families if f.type != "histogram" for s in f.samples}
    for title, expr in grafana.expressions(grafana.load()):
        for name in grafana.metric_names(expr):  # a histogram's series, or a scraped one
            assert grafana.family(name, histograms) != name or name in exported, (title, name)
        data = api(settled.prometheus, "query", query=grafana.concrete(expr))
        assert data["result"], (title, expr)


def exposed_name(name: str, kind: str) -> str:
    """A family's name as scraped and documented: counters with their _total."""
    return f"{name}_total" if kind == "counter" else name


def count(settled: Settled, name: str) -> int:
    return int(single(settled, f"{name}{{{settled.campaign}}}"))


def single(settled: Settled, promql: str) -> float:
    found = instant(settled.prometheus, promql)
    assert len(found) == 1, (promql, found)
    return next(iter(found.values()))
