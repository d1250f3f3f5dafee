"""Ten kinds of broken YAML a PBX admin writes, each reported as the exact
`file:line:col: field: message` they need to fix it; none of them crashes the loader.

The tenth kind, a reload with an error, is at the end here against `Daemon.reload()`, and
against the running daemon in tests/integration/test_reload_lab.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from structlog.testing import capture_logs

from dialerd.app import Daemon
from dialerd.config import load_campaigns, load_main_config
from dialerd.errors import ConfigError
from dialerd.sdnotify import Notifier

CAMPAIGN = """\
name: sales
queue: sales
region: GB
dial:
  trunk: "PJSIP/{number}@carrier"
  caller_id: "+442079460000"
"""

MAIN = """\
database:
  url: postgresql+asyncpg://dialerd@127.0.0.1/dialerd
  secret: lab-only
asterisk:
  - username: dialerd
    secret: lab-only
"""


class Case(NamedTuple):
    text: str  # the whole file
    where: str  # line:col
    problem: str  # "field: message", or the message alone for a YAML syntax error


def replaced(template: str, old: str, new: str) -> str:
    assert old in template
    return template.replace(old, new)


CAMPAIGN_CASES = {
    "bad indentation": Case(
        CAMPAIGN + "   ring_timeout_s: 30\n",
        "7:4",
        "bad indentation: this line does not line up with the lines above it "
        "(keys of one mapping start in the same column; indent with spaces)",
    ),
    "a tab for indentation": Case(
        CAMPAIGN + "lines:\n\tmax_lines: 5\n",
        "8:1",
        "a tab character: YAML indents with spaces only",
    ),
    "unknown key": Case(
        CAMPAIGN + "lines:\n  max_line: 5\n",
        "8:3",
        "lines.max_line: unknown key (check the spelling; see docs/campaigns.md)",
    ),
    "wrong type": Case(
        CAMPAIGN + "lines:\n  max_lines: thirty\n",
        "8:3",
        "lines.max_lines: expected a whole number, got 'thirty'",
    ),
    "bad time zone": Case(
        CAMPAIGN + 'calling_window:\n  hours: {mon-fri: "09:00-20:00"}\n'
        "  fallback_time_zone: Europe/Kiev2\n",
        "9:3",
        "calling_window.fallback_time_zone: 'Europe/Kiev2' is not a known IANA time zone"
        " (e.g. Europe/Kyiv)",
    ),
    "bad phone number": Case(
        replaced(CAMPAIGN, "+442079460000", "+4420794600"),
        "6:3",
        "dial.caller_id: '+4420794600' is not a valid phone number: write it in E.164 form,"
        " + country code and number, e.g. +442079460000",
    ),
    "duplicate key": Case(
        CAMPAIGN + "queue: support\n",
        "7:1",
        'found duplicate key "queue": each key may appear only once',
    ),
    "YAML 1.1 boolean NO": Case(
        CAMPAIGN + "enabled: NO\n",
        "7:1",
        "enabled: expected true or false, got 'NO' (YAML 1.2: yes/no/on/off are text)",
    ),
    "octal-looking number": Case(
        replaced(CAMPAIGN, '"+442079460000"', "0441234567"),
        "6:3",
        "dial.caller_id: expected text, got the number 0441234567: put it in quotes"
        " (unquoted digits are a number to YAML, which drops a leading 0 or +)",
    ),
    "missing required key": Case(
        replaced(CAMPAIGN, "queue: sales\n", ""),
        "1:1",
        "queue: required key is missing",
    ),
}

MAIN_CASES = {
    "unknown key": Case(MAIN + "metric:\n  listen: 127.0.0.1:9311\n", "7:1", ""),
    "wrong type": Case(
        MAIN + "    port: '5038'\n",
        "7:5",
        "asterisk.0.port: expected a whole number, got '5038'",
    ),
    "missing required key": Case(
        replaced(MAIN, "  - username: dialerd\n", "  - host: 127.0.0.1\n"),
        "5:5",
        "asterisk.0.username: required key is missing",
    ),
}
MAIN_CASES["unknown key"] = MAIN_CASES["unknown key"]._replace(
    problem="metric: unknown key (check the spelling; see docs/campaigns.md)"
)


def reported(error: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


@pytest.mark.parametrize("case", CAMPAIGN_CASES.values(), ids=CAMPAIGN_CASES.keys())
def test_a_broken_campaign_file_is_reported_where_it_is_broken(tmp_path: Path, case: Case) -> None:
    (tmp_path / "sales.yaml").write_text(case.text)
    (tmp_path / "fine.yaml").write_text(replaced(CAMPAIGN, "name: sales", "name: fine"))
    with pytest.raises(ConfigError) as raised:
        load_campaigns(tmp_path)
    assert reported(raised) == [f"{tmp_path}/sales.yaml:{case.where}: {case.problem}"]


@pytest.mark.parametrize("case", MAIN_CASES.values(), ids=MAIN_CASES.keys())
def test_a_broken_main_file_is_reported_where_it_is_broken(tmp_path: Path, case: Case) -> None:
    (tmp_path / "dialerd.yaml").write_text(case.text)
    with pytest.raises(ConfigError) as raised:
        load_main_config(tmp_path / "dialerd.yaml")
    assert reported(raised) == [f"{tmp_path}/dialerd.yaml:{case.where}: {case.problem}"]


def test_the_templates_themselves_are_valid(tmp_path: Path) -> None:
    """Otherwise every case above could fail for a reason of the template's."""
    (tmp_path / "dialerd.yaml").write_text(MAIN)
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "sales.yaml").write_text(CAMPAIGN)
    assert load_main_config(tmp_path / "dialerd.yaml").asterisk[0].username == "dialerd"
    assert load_campaigns(tmp_path / "campaigns")["sales"].dial.caller_id == "+442079460000"


def test_check_config_prints_every_problem_of_every_file_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "dialerd.yaml").write_text(MAIN)
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "a.yaml").write_text(CAMPAIGN_CASES["YAML 1.1 boolean NO"].text)
    octal = CAMPAIGN_CASES["octal-looking number"]
    (tmp_path / "campaigns" / "b.yaml").write_text(replaced(octal.text, "name: sales", "name: b"))
    command = [
        sys.executable,
        "-m",
        "dialerd.cli",
        "check-config",
        "-c",
        f"{tmp_path}/dialerd.yaml",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        [
            "dialerd: invalid configuration:",
            f"{tmp_path}/campaigns/a.yaml:7:1: {CAMPAIGN_CASES['YAML 1.1 boolean NO'].problem}",
            f"{tmp_path}/campaigns/b.yaml:6:3: {octal.problem}",
        ],
    )


class StatusReceiver:
    """systemd's end of NOTIFY_SOCKET, so the test reads the status line an admin sees."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.setblocking(False)

    def statuses(self) -> list[str]:
        found = []
        while True:
            try:
                message = self.sock.recv(4096).decode()
            except BlockingIOError:
                return found
            found += [line.removeprefix("STATUS=") for line in message.splitlines()]


@pytest.fixture
def receiver() -> Iterator[tuple[str, StatusReceiver]]:
    with tempfile.TemporaryDirectory(prefix="n") as directory:  # AF_UNIX paths are short
        address = f"{directory}/notify"
        status = StatusReceiver(address)
        yield address, status
        status.sock.close()


async def test_a_reload_with_a_broken_file_keeps_the_campaigns_and_logs_each_problem(
    tmp_path: Path, receiver: tuple[str, StatusReceiver]
) -> None:
    address, status = receiver
    (tmp_path / "dialerd.yaml").write_text(MAIN)
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "sales.yaml").write_text(CAMPAIGN_CASES["bad time zone"].text)
    config = load_main_config(tmp_path / "dialerd.yaml")
    daemon = Daemon(config, tmp_path, notifier=Notifier(address))
    with capture_logs() as logged:
        daemon.reload()
    problem = f"{tmp_path}/campaigns/sales.yaml:9:3: {CAMPAIGN_CASES['bad time zone'].problem}"
    assert [(e["event"], e.get("problem")) for e in logged] == [("config_reload_rejected", problem)]
    assert (daemon.reload_failures, daemon.runners) == (1, {})
    assert status.statuses()[-1] == "idle: no campaign enabled; reload rejected, see the log"
