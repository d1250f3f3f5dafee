"""Load benchmark: the real daemon against the lab with >= 300 concurrent simulated calls.

    scripts/lab up
    .venv/bin/python -m bench.load.run [--minutes 10] [--agents 320] [--baseline-s 60]

One progressive campaign on the lab's second queue, a fresh database, `dialerd run` as its
own process. The bench adds `--agents` simulated agents to the queue (talking 60-120 s) and
lets the daemon keep them busy; every call in flight (ringing, waiting, talking) counts as
concurrent (`dialerd_lines_in_use`). Side by side, measured in the same run:

- idle: the same daemon and campaign before any agent logs in (`--baseline-s`), i.e.
  what the daemon costs with nothing to do;
- load: the `--minutes` window, once `--concurrent` calls are in flight;
- panoramisk 1.4 (a benchmark peer, in a process of its own) only reading and parsing the
  same AMI event stream during the load window: the floor for any Python AMI consumer;
- Asterisk's own CPU during the load window.

CPU seconds are utime + stime from /proc/<pid>/stat of each process (never the bench's).
Loop lag and outcome write latency come from the daemon's /metrics histograms
(`dialerd_event_loop_lag_seconds`, `dialerd_outcome_write_seconds`): the difference between
the scrapes at both ends of a phase, quantiles interpolated within buckets as Prometheus'
histogram_quantile does. The last line is:

RESULT concurrent=<median in flight> cpu_s_per_1k_calls=<x> loop_lag_p99_ms=<y>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from ami import AmiClient, AmiError
from bench.load import cores
from dialerd.callstats import LAG_BUCKETS_S
from tests.integration.daemon import Dialer, fresh_database, scrape
from tests.integration.lab import ROOT, Lab

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 5.0
AGENT_BASE = 1000  # interfaces Local/agent1000@lab-agents/n and up
WORLD = {  # the simulated customers and agents during the run (dialplan globals)
    "LAB_ANSWER_PCT": "40",
    "LAB_BUSY_PCT": "15",
    "LAB_CONGESTION_PCT": "5",
    "LAB_RING_MIN_S": "2",
    "LAB_RING_MAX_S": "6",
    "LAB_TALK_MIN_S": "60",
    "LAB_TALK_MAX_S": "120",
}
CAMPAIGN = """\
name: {name}
mode: progressive
queue: {second_queue}
wrapup_s: 2
region: UA
dial:
  trunk: "Local/{{number}}@{context}"
  ring_timeout_s: 15
  caller_id: "+442079460000"
  caller_name: "Load Test"
lines:
  max_lines: MAX_LINES
  calls_per_second: 30
lease_s: 120
"""


@dataclass(frozen=True)
class Snapshot:
    at: float  # monotonic
    daemon_cpu_s: float
    asterisk_cpu_s: float
    peer_cpu_s: float
    peer_events: int
    control_lines: int  # wake-ups the control probe has written so far
    metrics: Samples


@dataclass(frozen=True)
class Phase:
    name: str
    start: Snapshot
    end: Snapshot
    in_flight: tuple[int, ...]  # dialerd_lines_in_use, every SAMPLE_S
    channels: tuple[int, ...]  # Asterisk's active channels, every SAMPLE_S
    load_1m: tuple[float, ...]  # the machine's 1-minute load average, every SAMPLE_S
    control: tuple[float, ...]  # the control probe's wake-up lateness in the phase, s

    @property
    def wall_s(self) -> float:
        return self.end.at - self.start.at

    @property
    def calls(self) -> int:
        return round(counter_delta(self.start.metrics, self.end.metrics, "dialerd_calls_total"))

    @property
    def daemon_cpu_s(self) -> float:
        return self.end.daemon_cpu_s - self.start.daemon_cpu_s

    def histogram(self, name: str) -> list[tuple[float, float]]:
        return bucket_delta(self.start.metrics, self.end.metrics, name)

    def control_histogram(self) -> list[tuple[float, float]]:
        """The control's lateness in the daemon's buckets, cumulative like a scrape's."""
        bounds = (*LAG_BUCKETS_S, float("inf"))
        return [(b, float(sum(v <= b for v in self.control))) for b in bounds]

    def outcomes(self) -> str:
        name = "dialerd_calls_total"
        by: dict[str, float] = {}
        for (n, labels), value in self.end.metrics.items():
            if n == name:
                outcome = dict(labels)["outcome"]
                by[outcome] = by.get(outcome, 0.0) + value - self.start.metrics.get((n, labels), 0)
        return ", ".join(f"{k} {v:.0f}" for k, v in sorted(by.items(), key=lambda kv: -kv[1]))


def cpu_seconds(pid: int | None) -> float:
    """utime + stime of one process, from /proc (0 when there is no such process)."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def asterisk_pid(lab: Lab) -> int:
    chroot = lab.cdr_csv.parents[4]  # <chroot>/var/log/asterisk/cdr-csv/Master.csv
    return int((chroot / "run" / "asterisk" / "asterisk.pid").read_text())


def counter_delta(before: Samples, after: Samples, name: str) -> float:
    def total(samples: Samples) -> float:
        return sum(v for (n, _), v in samples.items() if n == name)

    return total(after) - total(before)


def bucket_delta(before: Samples, after: Samples, name: str) -> list[tuple[float, float]]:
    """(upper bound, cumulative count) of a histogram between two scrapes."""

    def buckets(samples: Samples) -> dict[float, float]:
        return {
            float(dict(labels)["le"]): value
            for (n, labels), value in samples.items()
            if n == f"{name}_bucket"
        }

    old, new = buckets(before), buckets(after)
    return sorted((le, count - old.get(le, 0.0)) for le, count in new.items())


def quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """Prometheus' histogram_quantile: linear within the bucket the rank falls in."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if upper == float("inf"):
                return lower
            return lower + (upper - lower) * (rank - below) / max(count - below, 1e-12)
        lower, below = upper, count
    return lower


def share_at_most(bound: float, buckets: list[tuple[float, float]]) -> float | None:
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    return max((c for le, c in buckets if le <= bound), default=0.0) / total


def write_leads(path: Path, count: int) -> None:
    """Ukrainian mobile numbers: each reaches lab-random (the LAB_*_PCT mix)."""
    rng = random.Random(8)
    numbers = rng.sample(range(1_000_000, 9_999_999), count)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "name", "phone"])
        for n, number in enumerate(numbers):
            out.writerow([f"L{n:06d}", f"Load {n}", f"+38067{number}"])


class Bench:
    def __init__(self, lab: Lab, dialer: Dialer, ami: AmiClient, work: Path) -> None:
        self.lab = lab
        self.dialer = dialer
        self.ami = ami
        self.peer_file = work / "peer-events"
        self.control_file = work / "control-lateness"
        self.peer: subprocess.Popen[bytes] | None = None
        self.control: subprocess.Popen[bytes] | None = None
        self.own_core: int | None = None  # --own-core: the daemon's and the control's CPU

    def split_cores(self) -> None:
        """With --own-core, the daemon and the control loop on that CPU, everything else
        on the machine on the others; again at each sample for processes started since."""
        if self.own_core is None:
            return
        own = [self.daemon_pid] + ([self.control.pid] if self.control else [])
        cores.split(own, self.own_core)

    def control_lateness(self) -> list[float]:
        try:
            lines = self.control_file.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [float(line) for line in lines if line.strip()]

    def start_control(self) -> None:
        command = [sys.executable, "-m", "bench.load.control", str(self.control_file)]
        self.control = subprocess.Popen(command, cwd=ROOT)

    @property
    def daemon_pid(self) -> int:
        assert self.dialer.process is not None
        return self.dialer.process.pid

    def snapshot(self) -> Snapshot:
        metrics = scrape(self.dialer.metrics_port)
        peer_pid = self.peer.pid if self.peer else None
        try:
            events = int(self.peer_file.read_text() or 0)
        except FileNotFoundError:
            events = 0
        return Snapshot(
            at=time.monotonic(),
            daemon_cpu_s=cpu_seconds(self.daemon_pid),
            asterisk_cpu_s=cpu_seconds(asterisk_pid(self.lab)),
            peer_cpu_s=cpu_seconds(peer_pid),
            peer_events=events,
            control_lines=len(self.control_lateness()),
            metrics=metrics,
        )

    async def in_flight(self) -> int:
        samples = await asyncio.to_thread(scrape, self.dialer.metrics_port)
        return round(counter_delta({}, samples, "dialerd_lines_in_use"))

    async def asterisk_channels(self) -> int:
        response = await self.ami.send_action("Command", {"Command": "core show channels count"})
        for line in response.get_all("Output"):
            if "active channel" in line:
                return int(line.split()[0])
        return -1

    async def phase(self, name: str, seconds: float) -> Phase:
        start = await asyncio.to_thread(self.snapshot)
        in_flight, channels, load = [], [], []
        deadline = start.at + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(SAMPLE_S, left))
            self.split_cores()
            in_flight.append(await self.in_flight())
            channels.append(await self.asterisk_channels())
            load.append(os.getloadavg()[0])
        end = await asyncio.to_thread(self.snapshot)
        control = tuple(self.control_lateness()[start.control_lines : end.control_lines])
        return Phase(name, start, end, tuple(in_flight), tuple(channels), tuple(load), control)

    async def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                samples = await asyncio.to_thread(scrape, self.dialer.metrics_port)
                if samples.get(("dialerd_ami_connected", frozenset()), 0) == 1:
                    return
            if self.dialer.process is not None and self.dialer.process.poll() is not None:
                break
            await asyncio.sleep(1)
        raise RuntimeError(f"dialerd did not come up:\n{self.dialer.log_text()[-3000:]}")

    async def warm_up(self, wanted: int, timeout_s: float) -> int:
        """Wait until `wanted` calls are in flight (or the timeout); returns the last count."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        while time.monotonic() < deadline:
            seen = await self.in_flight()
            print(f"# warming up: {seen} calls in flight", file=sys.stderr, flush=True)
            if seen >= wanted:
                break
            await asyncio.sleep(SAMPLE_S)
        return seen

    def start_peer(self) -> None:
        self.peer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.load.peer",
                self.lab.ami_host,
                str(self.lab.ami_port),
                self.lab.ami_user,
                "DIALERD_TEST_AMI_SECRET",
                str(self.peer_file),
            ],
            env={**os.environ, "DIALERD_TEST_AMI_SECRET": self.lab.ami_secret},
            cwd=ROOT,
        )

    def stop_helpers(self) -> None:
        for process in (self.peer, self.control):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)


@contextlib.asynccontextmanager
async def world(lab: Lab, ami: AmiClient, agents: int) -> AsyncIterator[list[str]]:
    """Set the load's dialplan globals; yields the agent interfaces to add, removed after."""
    for key, value in WORLD.items():
        (await ami.send_action("Setvar", {"Variable": key, "Value": value})).raise_for_error()
    interfaces = [f"Local/agent{AGENT_BASE + n}@lab-agents/n" for n in range(agents)]
    try:
        yield interfaces
    finally:
        await release(lab, ami, interfaces)
        with contextlib.suppress(AmiError):
            await ami.send_action("Command", {"Command": "dialplan reload"})  # the globals


async def release(lab: Lab, ami: AmiClient, interfaces: list[str]) -> None:
    """Log the agents out and hang up every call, so the daemon stops at once."""
    with contextlib.suppress(AmiError):  # the second time round they are gone already
        for interface in interfaces:
            queue = lab.second_queue
            await ami.send_action("QueueRemove", {"Queue": queue, "Interface": interface})
        await ami.send_action("Command", {"Command": "channel request hangup all"})


async def add_agents(lab: Lab, ami: AmiClient, interfaces: list[str]) -> None:
    for interface in interfaces:
        member = interface.split("/")[1].split("@")[0]
        response = await ami.send_action(
            "QueueAdd", {"Queue": lab.second_queue, "Interface": interface, "MemberName": member}
        )
        response.raise_for_error()


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def p50_p99(buckets: list[tuple[float, float]], spec: str) -> str:
    return f"{fmt(ms(quantile(0.5, buckets)), spec)} / {fmt(ms(quantile(0.99, buckets)), spec)}"


def ms(value: float | None) -> float | None:
    return None if value is None else 1000 * value


def report(idle: Phase, load: Phase) -> str:
    rows: list[tuple[str, ...]] = [
        ("", "idle daemon", "daemon under load", "panoramisk (peer)", "Asterisk", "control"),
    ]
    peer_cpu = load.end.peer_cpu_s - load.start.peer_cpu_s
    ast_cpu = load.end.asterisk_cpu_s - load.start.asterisk_cpu_s
    idle_ast = idle.end.asterisk_cpu_s - idle.start.asterisk_cpu_s
    events = load.end.peer_events - load.start.peer_events
    per_1k = 1000 / load.calls if load.calls else None

    def pct(cpu: float, phase: Phase) -> str:
        return f"{100 * cpu / phase.wall_s:.1f} %"

    def per_call(cpu: float) -> str:
        return fmt(cpu * per_1k if per_1k else None, ".2f")

    lag_idle, lag_load = (
        idle.histogram("dialerd_event_loop_lag_seconds"),
        load.histogram("dialerd_event_loop_lag_seconds"),
    )
    rows += [
        ("wall seconds", f"{idle.wall_s:.0f}", f"{load.wall_s:.0f}", f"{load.wall_s:.0f}", ""),
        (
            "calls ended / in flight (median, min-max)",
            f"{idle.calls} / {median(idle.in_flight)}",
            f"{load.calls} / {median(load.in_flight)} ({min(load.in_flight, default=0)}"
            f"-{max(load.in_flight, default=0)})",
            "",
            f"channels {median(load.channels)} (idle {median(idle.channels)})",
        ),
        (
            "CPU, % of one core",
            pct(idle.daemon_cpu_s, idle),
            pct(load.daemon_cpu_s, load),
            pct(peer_cpu, load),
            f"{pct(ast_cpu, load)} (idle {pct(idle_ast, idle)})",
        ),
        (
            "CPU s per 1,000 calls",
            "",
            per_call(load.daemon_cpu_s),
            per_call(peer_cpu),
            per_call(ast_cpu),
        ),
        ("AMI events/s", "", "", f"{events / load.wall_s:.0f}", ""),
        (
            "CPU µs per AMI event",
            "",
            fmt(1e6 * load.daemon_cpu_s / events if events else None, ".0f"),
            fmt(1e6 * peer_cpu / events if events else None, ".0f"),
            "",
        ),
        (
            "loop lag p50 / p99 ms",
            p50_p99(lag_idle, ".2f"),
            p50_p99(lag_load, ".2f"),
            "",
            "",
            f"{p50_p99(load.control_histogram(), '.2f')}"
            f" (idle {p50_p99(idle.control_histogram(), '.2f')})",
        ),
        (
            "loop lag samples <= 5 ms",
            fmt(pct_or_none(share_at_most(0.005, lag_idle)), ".2f") + " %",
            fmt(pct_or_none(share_at_most(0.005, lag_load)), ".2f") + " %",
            "",
            "",
            fmt(pct_or_none(share_at_most(0.005, load.control_histogram())), ".2f") + " %",
        ),
    ]
    writes = load.histogram("dialerd_outcome_write_seconds")
    count = writes[-1][1] if writes else 0
    total = counter_delta(load.start.metrics, load.end.metrics, "dialerd_outcome_write_seconds_sum")
    written = counter_delta(load.start.metrics, load.end.metrics, "dialerd_outcomes_written_total")
    rows.append(
        (
            "outcome writes: batches, outcomes, mean / p50 / p99 ms",
            "",
            f"{count:.0f}, {written:.0f}, {fmt(ms(total / count if count else None), '.1f')}"
            f" / {p50_p99(writes, '.1f')}",
            "",
            "",
        ),
    )
    load_1m = [*idle.load_1m, *load.load_1m]
    rows = [r + ("",) * (len(rows[0]) - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"outcomes in the load window: {load.outcomes()}")
    if load.control:
        exact = statistics.quantiles(load.control, n=100)[98] if len(load.control) > 1 else 0
        lines.append(
            f"control (a bare asyncio loop beside the daemon, same 0.25 s probe): exact p99"
            f" {1000 * exact:.2f} ms over {len(load.control)} wake-ups"
        )
    lines.append(
        f"machine load average (1 min) during the run: median {median_f(load_1m):.2f},"
        f" max {max(load_1m, default=0):.2f} on {os.cpu_count()} cores"
    )
    return "\n".join(lines)


def pct_or_none(value: float | None) -> float | None:
    return None if value is None else 100 * value


def median(values: tuple[int, ...]) -> int:
    return round(statistics.median(values)) if values else 0


def median_f(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def result_line(load: Phase) -> str:
    lag = quantile(0.99, load.histogram("dialerd_event_loop_lag_seconds"))
    per_1k = 1000 * load.daemon_cpu_s / load.calls if load.calls else float("nan")
    return (
        f"RESULT concurrent={median(load.in_flight)} cpu_s_per_1k_calls={per_1k:.2f}"
        f" loop_lag_p99_ms={fmt(ms(lag), '.2f')}"
    )


async def run(args: argparse.Namespace) -> int:
    lab = Lab.from_status()
    async with fresh_database(lab) as url, AmiClient(lab.ami_settings(ping_timeout_s=30.0)) as ami:
        with tempfile.TemporaryDirectory(prefix="dialerd-load-") as tmp:
            work = Path(tmp)
            leads = work / "leads.csv"
            write_leads(leads, args.leads or int(4000 * (args.minutes + 3)))
            yaml = CAMPAIGN.replace("MAX_LINES", str(args.agents * 2))
            dialer = Dialer(lab, url, work, campaign="load", node="load", campaign_yaml=yaml)
            print("# " + dialer.import_csv(leads).strip().splitlines()[-1], file=sys.stderr)
            bench = Bench(lab, dialer, ami, work)
            async with world(lab, ami, args.agents) as agents:
                dialer.start(
                    env={"PYTHONASYNCIODEBUG": "1"} if args.asyncio_debug else None,
                    wrapper=args.wrapper.split() if args.wrapper else (),
                )
                try:
                    return await measure(bench, agents, args)
                finally:
                    if args.own_core is not None:
                        cores.restore()
                    bench.stop_helpers()
                    await release(lab, ami, agents)
                    with contextlib.suppress(AssertionError):
                        dialer.stop(timeout_s=90)
                    if args.keep_log:
                        args.keep_log.write_text(dialer.log_text())


def start_profiler(pid: int, out: Path | None, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy (a bench-only tool, not a dependency) sampling the daemon without pausing
    it, collapsed stacks into `out`."""
    if out is None:
        return None
    command = ["py-spy", "record", "--nonblocking", "-r", "50", "-f", "raw"]
    command += ["-d", str(int(seconds)), "-o", str(out), "-p", str(pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


async def measure(bench: Bench, agents: list[str], args: argparse.Namespace) -> int:
    await bench.wait_ready()
    bench.start_control()
    bench.own_core = args.own_core
    bench.split_cores()
    print(f"# idle baseline: {args.baseline_s:.0f} s", file=sys.stderr, flush=True)
    idle = await bench.phase("idle", args.baseline_s)
    await add_agents(bench.lab, bench.ami, agents)
    bench.start_peer()
    seen = await bench.warm_up(args.concurrent, args.warmup_s)
    if seen < args.concurrent:
        print(f"# only {seen} calls in flight after warm-up", file=sys.stderr)
    print(f"# load window: {args.minutes:g} min", file=sys.stderr, flush=True)
    profiler = start_profiler(bench.daemon_pid, args.profile, args.minutes * 60)
    load = await bench.phase("load", args.minutes * 60)
    if profiler is not None:
        profiler.wait(timeout=120)
    print(report(idle, load))
    if args.own_core is not None:
        print(
            f"cores: the daemon and the control on CPU {args.own_core}; Asterisk, PostgreSQL,"
            " Redis, the peer, the bench and every other process on the rest (--own-core)"
        )
    print(result_line(load))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load window")
    parser.add_argument("--agents", type=int, default=320, help="simulated agents in the queue")
    parser.add_argument("--concurrent", type=int, default=300, help="calls in flight to reach")
    parser.add_argument("--baseline-s", type=float, default=60.0, help="idle daemon baseline")
    parser.add_argument("--warmup-s", type=float, default=240.0, help="most time to ramp up")
    parser.add_argument("--leads", type=int, default=0, help="leads to import (default: enough)")
    parser.add_argument("--keep-log", type=Path, help="copy the daemon's log here at the end")
    parser.add_argument(
        "--asyncio-debug",
        action="store_true",
        help="run the daemon in asyncio's debug mode (logs callbacks over 100 ms; slower)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy the load window into this file")
    parser.add_argument("--wrapper", help="a command that execs the daemon (diagnostics)")
    parser.add_argument(
        "--own-core",
        type=int,
        metavar="CPU",
        help="give the daemon this CPU alone, everything else the others (as CPUAffinity=)",
    )
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
