"""Run the real daemon against the lab: a fresh database, config files, a subprocess.

`Dialer` writes dialerd.yaml and one campaign file into a temporary directory, starts
`dialerd run` as its own process (so signals and SIGKILL are real), and offers the
queries the tests make on the outcome tables and on Asterisk's own CDR.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from ami import AmiClient
from dialerd.storage import migrate
from dialerd.storage.connect import plain_dsn
from tests.integration.lab import ROOT, Lab

DIALERD = Path(sys.executable).parent / "dialerd"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def fresh_database(lab: Lab, *, migrated: bool = True) -> AsyncIterator[str]:
    """A new database (migrated to head unless told not to) on the lab's PostgreSQL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    await _admin(lab, f'CREATE DATABASE "{name}"')
    try:
        url = lab.database_url.rsplit("/", 1)[0] + f"/{name}"
        if migrated:
            await migrate(url)
        yield url
    finally:  # a connection of its own: the test may have restarted PostgreSQL meanwhile
        await _drop(lab, name)


async def _drop(lab: Lab, name: str, tries: int = 40) -> None:
    """DROP ... WITH (FORCE) ends the test's own sessions, but not an autovacuum worker that
    happens to be in the database (a superuser's; CI, stop 15): that one leaves within
    moments, so try again."""
    for _ in range(tries - 1):
        try:
            await _admin(lab, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except asyncpg.exceptions.InsufficientPrivilegeError:
            await asyncio.sleep(0.25)
        else:
            return
    await _admin(lab, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(lab: Lab, statement: str) -> None:
    admin = await asyncpg.connect(plain_dsn(lab.database_url))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def lab_world(lab: Lab, extra_agents: int = 0, **globals_: str) -> AsyncIterator[AmiClient]:
    """Change the simulated world for one test (globals, extra agents), then restore it."""
    ami = AmiClient(lab.ami_settings())
    await ami.start(wait_s=10)
    added = [f"Local/agent{90 + n:02d}@lab-agents/n" for n in range(extra_agents)]
    try:
        for key, value in globals_.items():
            (await ami.send_action("Setvar", {"Variable": key, "Value": value})).raise_for_error()
        for interface in added:
            member = interface.split("/")[1].split("@")[0]
            await ami.send_action(
                "QueueAdd", {"Queue": lab.queue, "Interface": interface, "MemberName": member}
            )
        yield ami
    finally:
        for interface in added:
            await ami.send_action("QueueRemove", {"Queue": lab.queue, "Interface": interface})
        await ami.send_action("Command", {"Command": "dialplan reload"})  # restores globals
        await ami.close()


CAMPAIGN = """\
name: {name}
mode: progressive
queue: {queue}
wrapup_s: 2
region: UA
dial:
  trunk: "Local/{{number}}@{context}"
  ring_timeout_s: 15
  caller_id: "+442079460000"
  caller_name: "Lab Test"
lines:
  max_lines: 40
  calls_per_second: 20
retry:
  busy: {{delay_s: {retry_s}, max_attempts: 2}}
  no_answer: {{delay_s: {retry_s}, max_attempts: 2}}
  congestion: {{delay_s: {retry_s}, max_attempts: 2}}
  abandoned: {{delay_s: {retry_s}, max_attempts: 2}}
  failed: {{delay_s: {retry_s}, max_attempts: 1}}
  max_attempts_per_phone: 2
  max_attempts_per_lead: 3
lease_s: 30
"""


class Running:
    """Every `dialerd run` a test started: one it leaves running (a failed wait before its
    stop) would answer AMI events in the tests after it, so the conftest kills it."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []

    def add(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        self._processes.append(process)
        return process

    def kill_leftovers(self) -> list[int]:
        """Kill the daemons still running; their pids."""
        left = [p for p in self._processes if p.poll() is None]
        for process in left:
            process.kill()
            process.wait()
        self._processes.clear()
        return [p.pid for p in left]


RUNNING = Running()


@dataclass
class Dialer:
    lab: Lab
    database_url: str
    workdir: Path
    campaign: str = "labtest"
    node: str = "node-a"
    retry_s: int = 20
    campaign_yaml: str | None = None  # the whole campaign file, instead of CAMPAIGN's
    more_campaigns: dict[str, str] = field(default_factory=dict)  # name -> whole file
    extra_config: str = ""  # more top-level YAML for dialerd.yaml, e.g. a redis section
    process: subprocess.Popen[bytes] | None = None
    runs: list[Path] = field(default_factory=list)
    metrics_port: int = field(default_factory=free_port)

    def write_config(self) -> Path:
        (self.workdir / "campaigns").mkdir(parents=True, exist_ok=True)
        files = {self.campaign: self.campaign_yaml or CAMPAIGN, **self.more_campaigns}
        for name, text in files.items():
            (self.workdir / "campaigns" / f"{name}.yaml").write_text(
                text.format(
                    name=name,
                    queue=self.lab.queue,
                    second_queue=self.lab.second_queue,
                    retry_s=self.retry_s,
                    context=self.lab.customer_context,
                )
            )
        config = self.workdir / "dialerd.yaml"
        config.write_text(
            f"node: {self.node}\n"
            f"database:\n  url: {self.database_url}\n"
            f"asterisk:\n  - host: {self.lab.ami_host}\n    port: {self.lab.ami_port}\n"
            f"    username: {self.lab.ami_user}\n    secret_env: DIALERD_TEST_AMI_SECRET\n"
            "    ping_interval_s: 1\n"
            f"metrics:\n  listen: 127.0.0.1:{self.metrics_port}\n"
            "campaigns_dir: campaigns\nstate_dir: state\nshutdown_grace_s: 60\n" + self.extra_config
        )
        return config

    def start(self, env: dict[str, str] | None = None, wrapper: Sequence[str] = ()) -> None:
        """Start `dialerd run`; `env` adds variables, `wrapper` is a command that execs it."""
        config = self.write_config()
        log = self.workdir / f"run-{len(self.runs)}.log"
        self.runs.append(log)
        environ = {**os.environ, "DIALERD_TEST_AMI_SECRET": self.lab.ami_secret, **(env or {})}
        with log.open("wb") as out:
            self.process = RUNNING.add(
                subprocess.Popen(
                    [*wrapper, str(DIALERD), "run", "-c", str(config), "--log-level", "info"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=environ,
                    cwd=ROOT,
                )
            )

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 150) -> int:
        """Signal the daemon and wait as long as systemd would (TimeoutStopSec): the grace
        for calls in progress, then up to 60 s for the outcome writer."""
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR2)  # the loop's tasks, if it still runs
            self.process.send_signal(signal.SIGUSR1)  # every thread's stack
            time.sleep(3)
            self.process.kill()
            self.process.wait()
            tail = "\n".join(self.log_text().splitlines()[-150:])
            message = f"dialerd did not stop within {timeout_s} s; log:\n{tail}"
            raise AssertionError(message) from None
        self.process = None
        return code

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a `dialerd` command against this dialer's config, as an admin would; the
        caller checks its exit code and output (failures are part of what tests check)."""
        config = self.write_config()
        env = {**os.environ, "DIALERD_TEST_AMI_SECRET": self.lab.ami_secret}
        return subprocess.run(
            [str(DIALERD), *args, "-c", str(config)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.runs)

    def import_csv(self, csv_path: Path) -> str:
        return self.cli("leads", "import", self.campaign, str(csv_path))

    def cli(self, *args: str) -> str:
        """Run a `dialerd` command with this dialer's config; it must succeed."""
        config = self.write_config()
        env = {**os.environ, "DIALERD_TEST_AMI_SECRET": self.lab.ami_secret}
        proc = subprocess.run(
            [str(DIALERD), *args, "-c", str(config)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The daemon's /metrics, parsed: (name, labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


async def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def wait_until(check: Any, timeout_s: float, interval_s: float = 2.0) -> None:
    """Poll an async predicate until it holds; fail with its last value otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value is True:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s: {value}")
        await asyncio.sleep(interval_s)


def post_json(port: int, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST JSON to the daemon; (status, JSON answer), error statuses included."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
