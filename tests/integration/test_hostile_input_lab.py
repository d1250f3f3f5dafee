"""Hostile input against the real daemon, PostgreSQL and Asterisk of the lab.

* Secrets read from files and from the environment never show in the daemon's log, its
  command line, `dialerd check-config` or `dialerd status`; the pages want the token.
* Leads whose fields carry SQL, AMI header injections, NUL bytes and huge values are stored
  as written or rejected row by row, and the tables are intact afterwards.
* A lead named like an AMI action is dialled with exactly one Originate: Asterisk, watched
  from an AMI connection of the test's own, sees one call and none of the smuggled actions.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ami import AmiClient, Event
from dialerd.leads_import import MAX_CELL_CHARS, import_leads
from tests.integration.daemon import DIALERD, Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab

SQL = "'); DROP TABLE leads; --"
SMUGGLED = (
    "\r\n\r\nAction: UserEvent\r\nUserEvent: dialerd-injected\r\n\r\n"
    "Action: Originate\r\nChannel: Local/+447700900003@lab-customers\r\n"
)
TOKEN = "lab-token-5d1c0e7a9b"
ALL_BUSY = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0"}
ALL_BUSY |= {"LAB_BUSY_MIN_S": "1", "LAB_BUSY_MAX_S": "1"}


def password_of(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def without_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    credentials, host = rest.split("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"


@dataclass
class SecretDialer(Dialer):
    """A Dialer whose secrets come from files or variables, never from dialerd.yaml."""

    source: str = "file"  # "file": AMI secret and DB password in files; "env": in variables

    def write_config(self) -> Path:
        path = super().write_config()
        secrets = self.workdir / "secrets"
        secrets.mkdir(exist_ok=True)
        (secrets / "ami").write_text(self.lab.ami_secret + "\n")
        (secrets / "db").write_text(password_of(self.database_url) + "\n")
        (secrets / "token").write_text(TOKEN + "\n")
        if self.source == "file":
            ami, db = f"secret_file: {secrets / 'ami'}", f"secret_file: {secrets / 'db'}"
        else:
            ami, db = "secret_env: DIALERD_TEST_AMI_SECRET", "secret_env: DIALERD_TEST_DB_PASSWORD"
        text = path.read_text()
        text = text.replace(
            f"  url: {self.database_url}\n",
            f"  url: {without_password(self.database_url)}\n  {db}\n",
        )
        text = text.replace("secret_env: DIALERD_TEST_AMI_SECRET", ami)
        text = text.replace(
            "metrics:\n", f"metrics:\n  token:\n    secret_file: {secrets / 'token'}\n"
        )
        path.write_text(text)
        return path

    def environment(self) -> dict[str, str]:
        if self.source == "file":  # nothing secret in the environment at all
            return {"DIALERD_TEST_AMI_SECRET": "", "DIALERD_TEST_DB_PASSWORD": ""}
        return {
            "DIALERD_TEST_AMI_SECRET": self.lab.ami_secret,
            "DIALERD_TEST_DB_PASSWORD": password_of(self.database_url),
        }


def page(port: int, path: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - http://127.0.0.1
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:  # not listening yet
        return 0


@pytest.mark.parametrize("source", ["file", "env"])
async def test_secrets_from_files_or_the_environment_never_show(
    lab: Lab, tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fresh_database(lab) as url:
        dialer = SecretDialer(lab, url, tmp_path, source=source)
        for name, value in dialer.environment().items():  # for the CLI commands too
            monkeypatch.setenv(name, value)
        secrets = (lab.ami_secret, password_of(url), TOKEN)
        dialer.start(env=dialer.environment())
        assert dialer.process is not None
        pid = dialer.process.pid
        try:
            await _ready(dialer.metrics_port)
            seen = await asyncio.to_thread(look_from_outside, dialer, pid)
        finally:
            code = dialer.stop()
    assert code == 0
    assert seen.pages == {"/status": 401, "/metrics": 401, "/healthz": 200}
    assert seen.status.returncode == 0, seen.status.stderr
    assert "node node-a" in seen.status.stdout
    assert seen.check.returncode == 0, seen.check.stderr
    log = dialer.log_text()
    assert "daemon_started" in log
    outputs = (seen.status.stdout, seen.status.stderr, seen.check.stdout, seen.check.stderr)
    for secret in secrets:
        assert secret not in seen.cmdline
        assert secret not in log
        assert not any(secret in output for output in outputs)
    # a variable holds its secret, visible to the daemon's own user and root only; a file
    # leaves the environment clean
    holding = sorted(e.split("=", 1)[0] for e in seen.environ if any(s in e for s in secrets))
    assert holding == (
        [] if source == "file" else ["DIALERD_TEST_AMI_SECRET", "DIALERD_TEST_DB_PASSWORD"]
    )


@dataclass
class Outside:
    """What anyone on the machine (or the daemon's own user) can see of the daemon."""

    cmdline: str
    environ: list[str]
    pages: dict[str, int]
    status: subprocess.CompletedProcess[str]
    check: subprocess.CompletedProcess[str]


def look_from_outside(dialer: Dialer, pid: int) -> Outside:
    port = dialer.metrics_port
    with ThreadPoolExecutor(2) as pool:  # two Python start-ups at once: half the wait
        status = pool.submit(cli, dialer, "status")
        check = pool.submit(cli, dialer, "check-config")
        return Outside(
            cmdline=Path(f"/proc/{pid}/cmdline").read_bytes().decode(),
            environ=Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0"),
            pages={
                "/status": page(port, "/status", None),
                "/metrics": page(port, "/metrics", "wrong"),
                "/healthz": page(port, "/healthz", None),
            },
            status=status.result(),
            check=check.result(),
        )


def cli(dialer: Dialer, *args: str) -> subprocess.CompletedProcess[str]:
    """A `dialerd` command on the running daemon's own configuration, as an admin runs it
    (the environment is the test's: the variables are set for the `env` case only)."""
    config = str(dialer.workdir / "dialerd.yaml")
    command = [str(DIALERD), *args, "-c", config]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


async def _ready(port: int) -> None:
    async def ready() -> bool | int:
        code = await asyncio.to_thread(page, port, "/readyz", TOKEN)
        return code == 200 or code

    await wait_until(ready, timeout_s=60, interval_s=0.5)


async def test_hostile_leads_are_stored_as_written_or_rejected_by_row(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.csv"
    quoted = SMUGGLED.replace('"', '""')
    path.write_bytes(
        (
            "external_id,name,phone,note\n"
            f'E1,"{SQL}",0501234501,"{SQL}"\n'  # row 2
            f'E2,"x{quoted}",0501234502,"{quoted}"\n'  # row 3
            "E3,nul\0,0501234503,\n"  # row 4: rejected
            f"E4,big,0501234504,{'x' * (MAX_CELL_CHARS + 1)}\n"  # row 5: rejected
            f"E5,huge,0501234505,{'y' * 1_000_000}\n"  # row 6: rejected
            f'E6,"{SQL}","+380501234506\r\nAction: Hangup",\n'  # row 7: no valid number
        ).encode()
    )
    report = await import_leads(db_url, "hostile", path, "UA")
    assert [row for row, _ in report.rejected] == [4, 5, 6, 7]
    assert report.imported == 2
    rows = await query(
        db_url,
        "SELECT l.external_id, l.name, l.fields->>'note' FROM leads l "
        "JOIN campaigns c ON c.id = l.campaign_id WHERE c.name = 'hostile' ORDER BY 1",
    )
    assert [tuple(r) for r in rows] == [
        ("E1", SQL, SQL),
        ("E2", "x" + SMUGGLED.rstrip(), SMUGGLED.strip()),
    ]
    tables = await query(db_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'leads'")
    assert tables[0][0] == 1


@contextlib.asynccontextmanager
async def watching(lab: Lab) -> AsyncIterator[list[Event]]:
    """Every event Asterisk sends an AMI connection of the test's own, meanwhile."""
    ami = AmiClient(lab.ami_settings())
    await ami.start(wait_s=10)
    seen: list[Event] = []

    async def collect() -> None:
        async with ami.events() as stream:
            async for item in stream:
                if isinstance(item, Event):
                    seen.append(item)

    task = asyncio.create_task(collect())
    try:
        # the watcher must be able to see a UserEvent, or its silence would prove nothing
        await ami.send_action("UserEvent", {"UserEvent": "dialerd-control"})
        await wait_until(lambda: _seen(seen, "dialerd-control"), timeout_s=10, interval_s=0.2)
        yield seen
    finally:
        await ami.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _seen(events: list[Event], user_event: str) -> bool:
    return any(e.name == "UserEvent" and e.get("UserEvent") == user_event for e in events)


async def test_a_lead_named_like_an_ami_action_is_dialled_with_one_originate(
    lab: Lab, tmp_path: Path
) -> None:
    leads = tmp_path / "leads.csv"
    quoted = SMUGGLED.replace('"', '""')
    leads.write_text(f'name,phone,note\n"x{quoted}",+380501234567,"{quoted}"\n')
    async with fresh_database(lab) as url, lab_world(lab, **ALL_BUSY), watching(lab) as seen:
        dialer = Dialer(lab, url, tmp_path, retry_s=3600)
        dialer.import_csv(leads)
        dialer.start()
        try:

            async def ended() -> bool | list[object]:
                rows = await query(url, "SELECT outcome FROM call_attempts")
                outcomes = [r[0] for r in rows]
                return outcomes == ["busy"] or outcomes

            await wait_until(ended, timeout_s=60, interval_s=0.5)
        finally:
            assert dialer.stop(signal.SIGTERM) == 0
    channels = {
        e.get("Channel")
        for e in seen
        if e.name == "Newchannel" and "lab-customers" in (e.get("Channel") or "")
    }
    dialled = {c.split("@")[0] for c in channels if c}
    assert dialled == {"Local/+380501234567"}  # one number, never the smuggled one
    originated = [e for e in seen if e.name == "OriginateResponse"]
    assert len(originated) == 1
    assert not await _seen(seen, "dialerd-injected")
