"""Fuzzing what the daemon reads from outside: AMI events, YAML files, lead files.

Whatever they hold, the outcome is a value or the error made for it (ConfigError with
located problems, LeadFileError, a rejected row) — never an unhandled exception. The
do-not-call CSV (`dialerd dnc import`) is fuzzed beside the lead file.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ami import Event
from dialerd.agents import AgentBoard
from dialerd.amievents import AGENT_EVENTS, call_event, call_key
from dialerd.calltrack import AgentCallEnded, AgentConnected
from dialerd.config import load_campaigns, load_main_config
from dialerd.dnc_rows import DncRequest, InvalidEntry
from dialerd.dnc_rows import read_csv as read_dnc_csv
from dialerd.errors import ConfigError
from dialerd.leads_import import LeadFileError, ParsedChunk, parse_lead_file

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
TRICKY_NUMBERS = ["inf", "-inf", "nan", "1e999", "-5", "0x10", "", " 7 ", "١٢", "4"]
NUMBERISH = st.one_of(st.sampled_from(TRICKY_NUMBERS), TEXT)
EVENT_NAMES = sorted(AGENT_EVENTS | {"OriginateResponse", "UserEvent", "AgentConnect", "Hangup"})
HEADER_NAMES = ["Reason", "HoldTime", "TalkTime", "Cause", "Status", "Paused", "InCall"]
HEADER_NAMES += ["Interface", "MemberName", "Queue", "UserEvent", "Uniqueid", "Attempt"]


@FAST
@given(
    st.sampled_from(EVENT_NAMES),
    st.fixed_dictionaries({}, optional=dict.fromkeys(HEADER_NAMES, NUMBERISH)),
)
def test_any_event_headers_translate_without_a_crash(name: str, headers: dict[str, str]) -> None:
    check_translation(Event({"Event": name, "Queue": "sales", **headers}))


@pytest.mark.parametrize("value", TRICKY_NUMBERS)
@pytest.mark.parametrize(
    ("name", "header"),
    [("OriginateResponse", "Reason"), ("AgentConnect", "HoldTime"), ("AgentComplete", "TalkTime")],
)
def test_numbers_asterisk_never_sends_are_read_as_none_given(
    name: str, header: str, value: str
) -> None:
    check_translation(Event({"Event": name, header: value, "Queue": "sales"}))


def check_translation(event: Event) -> None:
    name = event.name
    call_key(event)
    translated = call_event(event)
    if isinstance(translated, AgentConnected):
        assert math.isfinite(translated.hold_s)
    if isinstance(translated, AgentCallEnded):
        assert math.isfinite(translated.talk_s)
    board = AgentBoard(queue="sales", wrapup_s=5.0)
    board.apply(name, event.headers, 100.0).ready_count(101.0)


MAIN_KEYS = ["database", "url", "asterisk", "username", "secret", "secret_file", "secret_env"]
MAIN_KEYS += ["metrics", "listen", "token", "node", "redis", "state_dir", "campaigns_dir"]
CAMPAIGN_KEYS = ["name", "queue", "region", "dial", "trunk", "caller_id", "caller_name"]
CAMPAIGN_KEYS += ["lines", "max_lines", "retry", "busy", "delay_s", "calling_window", "limits"]
CAMPAIGN_KEYS += ["caller_ids", "numbers", "number", "mode", "pacing", "hours", "mon"]
SCALARS = st.one_of(
    TEXT,
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.sampled_from(["2026-13-01", "0441234567", "+442079460000", "09:00-18:00", "NO", "~"]),
)


def yaml_of(value: object, indent: int = 0) -> str:
    """A crude YAML writer: nested mappings and lists, scalars written raw (unquoted)."""
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(f"{pad}{k}:\n{yaml_of(v, indent + 2)}" for k, v in value.items()) or "{}\n"
    if isinstance(value, list):
        return "".join(f"{pad}-\n{yaml_of(v, indent + 2)}" for v in value) or f"{pad}[]\n"
    return f"{pad}{value}\n"


def documents(keys: list[str]) -> st.SearchStrategy[object]:
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(keys), inner, max_size=5)
        ),
        max_leaves=12,
    )


def config_outcome(directory: Path, main: str, campaign: str) -> None:
    (directory / "campaigns").mkdir(exist_ok=True)
    (directory / "dialerd.yaml").write_text(main, encoding="utf-8")
    (directory / "campaigns" / "c.yaml").write_text(campaign, encoding="utf-8")
    for load in (
        lambda: load_main_config(directory / "dialerd.yaml"),
        lambda: load_campaigns(directory / "campaigns"),
    ):
        error = refusal(load)
        if error is not None:  # refused: with at least one located, readable problem
            assert error.problems
            assert all(str(problem) for problem in error.problems)


def refusal(load: Callable[[], object]) -> ConfigError | None:
    try:
        load()
    except ConfigError as exc:
        return exc
    return None


@FAST
@given(TEXT, TEXT)
def test_arbitrary_text_as_config_gives_problems_not_a_crash(main: str, campaign: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config_outcome(Path(directory), main, campaign)


@FAST
@given(documents(MAIN_KEYS), documents(CAMPAIGN_KEYS))
def test_arbitrary_yaml_documents_give_problems_not_a_crash(main: object, campaign: object) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config_outcome(Path(directory), yaml_of(main), yaml_of(campaign))


CSV_BYTES = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.lists(
            st.one_of(
                st.text(max_size=12).map(str.encode),
                st.sampled_from([b'"', b'""', b"\r\n", b"\0", b"\xff", b"0501234567", b";"]),
            ),
            max_size=6,
        ).map(b",".join),
        max_size=6,
    ).map(lambda rows: b"phone,name,note\n" + b"\n".join(rows)),
)


def parsed_or_refused(path: Path) -> tuple[list[ParsedChunk], LeadFileError | None]:
    try:
        return list(parse_lead_file(path, "UA")), None
    except LeadFileError as exc:
        return [], exc


@FAST
@given(CSV_BYTES)
def test_arbitrary_bytes_as_a_csv_give_rows_or_errors_not_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "leads.csv"
        path.write_bytes(data)
        chunks, error = parsed_or_refused(path)
    if error is not None:  # refused whole, naming the file
        assert str(error).startswith(str(path))
    for chunk in chunks:  # every record is a lead, a rejected row, or blank: none vanish
        assert chunk.staged.count + chunk.staged.folded + len(chunk.rejected) <= chunk.records
        assert all(reason for _, reason in chunk.rejected)


DNC_BYTES = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.lists(
            st.one_of(
                st.text(max_size=12).map(str.encode),
                st.sampled_from(
                    [b"+380501234567", b"\xc2\xb2", b"9999-12-31T23:00-05:00", b"\0", b'"', b"7"]
                ),
            ),
            max_size=4,
        ).map(b",".join),
        max_size=6,
    ).map(lambda rows: b"number,lead_id,expires_at,reason\n" + b"\n".join(rows)),
)


@FAST
@given(DNC_BYTES)
def test_arbitrary_bytes_as_a_dnc_csv_give_entries_or_errors_not_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "dnc.csv"
        path.write_bytes(data)
        rows, error = dnc_rows_or_refusal(path)
    assert error is None or str(error)
    for row, entry in rows:
        assert row >= 2
        if isinstance(entry, DncRequest):
            assert "\0" not in entry.reason


def dnc_rows_or_refusal(
    path: Path,
) -> tuple[list[tuple[int, DncRequest | InvalidEntry]], Exception | None]:
    """What `dialerd dnc import` gets: rows, or the file-level errors it reports."""
    try:
        return list(read_dnc_csv(path, "UA", datetime(2026, 12, 1, tzinfo=UTC))), None
    except (InvalidEntry, UnicodeDecodeError) as exc:
        return [], exc


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (",²,,", "lead_id '²': expected a positive whole number"),
        (",7,9999-12-31T23:00-05:00,", "too far in the future"),
        ("+380501234567,,,a\0b", "contains a NUL byte"),
        (f"+380501234567,,,{'x' * 200_000}", "unreadable CSV record"),
    ],
)
def test_dnc_rows_that_crashed_the_import_are_reported(
    tmp_path: Path, cells: str, reason: str
) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text(f"number,lead_id,expires_at,reason\n{cells}\n+380501234568,,,ok\n")
    (first, bad), (second, good) = read_dnc_csv(path, "UA", datetime(2026, 12, 1, tzinfo=UTC))
    assert (first, second) == (2, 3)
    assert isinstance(bad, InvalidEntry)
    assert reason in str(bad)
    assert isinstance(good, DncRequest)
