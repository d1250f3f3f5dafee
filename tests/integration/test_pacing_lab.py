"""Predictive against progressive, side by side for ten minutes, judged by Asterisk's queue_log.

Two campaigns run in one daemon at the same time against the same simulated world: a
predictive one on the lab's queue (10 agents) and a progressive 1:1 one on the second queue
(10 agents added for the test). Short talk times (2-6 s) give many calls in ten minutes,
so the abandon rate is measured on hundreds of live answers. Agent
occupancy (talk + wrap-up over agent time) and the abandon rate come from the queue_log
Asterisk writes itself, never from dialerd's counters.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ami import AmiClient
from tests.integration.daemon import Dialer, fresh_database, lab_world
from tests.integration.lab import Lab

# Ten minutes: scripts/test runs it beside the rest, on the lab's second Asterisk.
pytestmark = pytest.mark.long_lab

AGENTS = 10  # the lab queue's static members; as many are added to the second queue
RUN_S = 600.0
WARM_UP_S = 30.0  # left out of the measurement: the predictive model starts from priors
WRAPUP_S = 2.0  # the lab queues' wrapuptime
LEADS = 2500  # per campaign: more than ten minutes can use
WORLD = {
    "LAB_ANSWER_PCT": "40", "LAB_BUSY_PCT": "15", "LAB_CONGESTION_PCT": "5",
    "LAB_RING_MIN_S": "2", "LAB_RING_MAX_S": "6", "LAB_TALK_MIN_S": "2", "LAB_TALK_MAX_S": "6",
    "LAB_BUSY_MIN_S": "1", "LAB_BUSY_MAX_S": "3",
}  # fmt: skip

CAMPAIGN = """\
name: {name}
mode: {mode}
queue: {queue}
wrapup_s: 2
region: UA
dial:
  trunk: "Local/{{number}}@{context}"
  ring_timeout_s: 15
  caller_id: "+442079460000"
pacing:
  abandon_target: 0.015
  window: uk_24_hours
  expected_talk_s: 4
lines: {{max_lines: 60, calls_per_second: 20}}
retry:
  busy: {{delay_s: 3600, max_attempts: 1}}
  no_answer: {{delay_s: 3600, max_attempts: 1}}
  congestion: {{delay_s: 3600, max_attempts: 1}}
  abandoned: {{delay_s: 259200, max_attempts: 1}}
  failed: {{delay_s: 3600, max_attempts: 1}}
  max_attempts_per_phone: 1
lease_s: 30
"""


@dataclass(frozen=True)
class QueueStats:
    connected: int
    abandoned: int
    talk_s: float

    @property
    def abandon_rate(self) -> float:
        answered = self.connected + self.abandoned
        return self.abandoned / answered if answered else 0.0

    def occupancy(self, span_s: float) -> float:
        return (self.talk_s + WRAPUP_S * self.connected) / (AGENTS * span_s)


def queue_stats(lab: Lab, queue: str, since: float, until: float) -> QueueStats:
    """Calls of `queue` that ended in [since, until], from Asterisk's queue_log."""
    connected = abandoned = 0
    talk = 0.0
    for line in lab.queue_log.read_text(errors="replace").splitlines():
        at, _call, name, _agent, event, *data = line.split("|")
        if name != queue or not since <= float(at) <= until:
            continue
        if event in ("COMPLETEAGENT", "COMPLETECALLER"):
            connected += 1
            talk += float(data[1])
        elif event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
            abandoned += 1
    return QueueStats(connected, abandoned, talk)


def write_leads(path: Path, prefix: str, seed: int) -> None:
    rng = random.Random(seed)
    numbers = rng.sample(range(1_000_000, 9_999_999), LEADS)
    rows = [f"{prefix[1:]}-{n},Lead {n},{prefix}{number}" for n, number in enumerate(numbers)]
    path.write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def agents_on_second_queue(ami: AmiClient, lab: Lab, add: bool) -> None:
    for n in range(AGENTS):
        interface = f"Local/agent{71 + n}@lab-agents/n"
        if add:
            headers = {"Queue": lab.second_queue, "Interface": interface}
            await ami.send_action("QueueAdd", {**headers, "MemberName": f"agent{71 + n}"})
        else:
            await ami.send_action(
                "QueueRemove", {"Queue": lab.second_queue, "Interface": interface}
            )


async def test_predictive_keeps_agents_busier_than_progressive_within_the_abandon_target(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    predictive = CAMPAIGN.replace("{mode}", "predictive").replace("{queue}", lab.queue)
    progressive = CAMPAIGN.replace("{mode}", "progressive").replace("{queue}", lab.second_queue)
    dialer = Dialer(
        lab,
        database,
        tmp_path,
        campaign="predictive",
        campaign_yaml=predictive,
        more_campaigns={"progressive": progressive},
    )
    for name, prefix in (("predictive", "+38050"), ("progressive", "+38067")):
        write_leads(tmp_path / f"{name}.csv", prefix, seed=len(name))
        dialer.cli("leads", "import", name, str(tmp_path / f"{name}.csv"))
    async with lab_world(lab, **WORLD) as ami:
        await agents_on_second_queue(ami, lab, add=True)
        try:
            started = time.time()
            dialer.start()
            await run_for(dialer, RUN_S)
        finally:
            stopped = time.time()
            code = dialer.stop(signal.SIGTERM)
            await agents_on_second_queue(ami, lab, add=False)
    assert code == 0, dialer.log_text()[-3000:]
    span = (started + WARM_UP_S, stopped)
    ours = queue_stats(lab, lab.queue, *span)
    baseline = queue_stats(lab, lab.second_queue, *span)
    seconds = span[1] - span[0]
    report = (
        f"predictive: occupancy {ours.occupancy(seconds):.1%}, abandoned {ours.abandon_rate:.2%}"
        f" ({ours.abandoned} of {ours.connected + ours.abandoned});"
        f" progressive: occupancy {baseline.occupancy(seconds):.1%},"
        f" abandoned {baseline.abandon_rate:.2%}"
    )
    print(report)  # the figures to record (pytest -s shows them)
    # The campaign aims at 1.5 % so that the legal 3 % holds with room for chance: with ~650
    # live answers, a pacer that really ran at 3 % would fail this about half the time (at
    # 2 % it ran at 2.38 %, 16 of 673, too close to the limit for a test that must not flake).
    assert ours.connected > 400, report  # enough calls for the rates to mean something
    assert ours.abandon_rate <= 0.03, report
    assert ours.occupancy(seconds) >= baseline.occupancy(seconds) + 0.10, report


async def run_for(dialer: Dialer, seconds: float) -> None:
    """Let the daemon dial for `seconds`; fail at once if it dies meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
        assert dialer.process is not None
        if dialer.process.poll() is not None:
            raise AssertionError(f"the daemon exited early: {dialer.log_text()[-3000:]}")
