"""The daemon's log lines: JSON, numbers masked, journald priority prefixes, no floods."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import structlog

from dialerd import logs


def as_journal_stream(stream: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `stream` the journal stream systemd would have given the process."""
    status = os.fstat(stream.fileno())
    monkeypatch.setenv("JOURNAL_STREAM", f"{status.st_dev}:{status.st_ino}")


def log_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_numbers_are_masked_in_every_field_and_message(tmp_path: Path) -> None:
    out = tmp_path / "out.log"
    with out.open("w") as stream:
        logs.configure("info", stream=stream)
        structlog.get_logger().warning(
            "originate_failed",
            number="+447700900123",
            error="Local/+380501234567@customers: no such channel",
            attempt="7d3f9c1e-0000-4000-8000-000000000001",
        )
    line = json.loads(log_lines(out)[0])
    assert line["number"] == "+44********23"
    assert line["error"] == "Local/+380*******67@customers: no such channel"
    assert line["attempt"] == "7d3f9c1e-0000-4000-8000-000000000001"
    assert "447700900123" not in out.read_text()


def test_plain_json_when_stdout_is_not_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "1:1")  # some other file's device and inode
    out = tmp_path / "out.log"
    with out.open("w") as stream:
        logs.configure("info", stream=stream)
        structlog.get_logger().info("daemon_started")
    assert json.loads(log_lines(out)[0])["event"] == "daemon_started"


def test_priority_prefix_on_each_line_when_stdout_is_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "journal.log"
    with out.open("w") as stream:
        as_journal_stream(stream, monkeypatch)
        logs.configure("debug", stream=stream)
        log = structlog.get_logger()
        log.error("outcomes_not_written", pending=3)
        log.warning("ami_disconnected")
        log.info("call_ended")
        log.debug("tick")
    prefixes = [line[:3] for line in log_lines(out)]
    assert prefixes == ["<3>", "<4>", "<6>", "<7>"]
    assert json.loads(log_lines(out)[1][3:])["event"] == "ami_disconnected"


class Recorder:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append((event, fields))

    info = warning


def test_a_repeating_failure_is_logged_once_a_minute_with_its_count() -> None:
    now = [0.0]
    repeats = logs.Repeats(every_s=60, clock=lambda: now[0])
    recorder = Recorder()
    for second in range(0, 150):  # a failure on every tick for two and a half minutes
        now[0] = float(second)
        repeats.warning(recorder, "database_unavailable", error="down")
    assert recorder.lines == [
        ("database_unavailable", {"error": "down"}),
        ("database_unavailable", {"error": "down", "repeated": 59}),
        ("database_unavailable", {"error": "down", "repeated": 59}),
    ]


def test_after_a_success_the_next_failure_shows_at_once() -> None:
    now = [0.0]
    repeats = logs.Repeats(every_s=60, clock=lambda: now[0])
    recorder = Recorder()
    repeats.warning(recorder, "database_unavailable")
    now[0] = 5.0
    repeats.clear("database_unavailable")
    repeats.info(recorder, "database_unavailable")
    assert [event for event, _ in recorder.lines] == ["database_unavailable"] * 2


def test_library_lines_on_stderr_get_a_prefix_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = tmp_path / "stderr.log"
    with err.open("w") as stream:
        as_journal_stream(stream, monkeypatch)
        monkeypatch.setattr("sys.stderr", stream)
        logs.configure("info", stream=stream)
        logging.getLogger("alembic").warning("no revision for %s", "+447700900123")
    assert log_lines(err) == ["<4>alembic: no revision for +44********23"]
