"""Screen pop: channel variables any value survives, the call_connected event and its payload,
the `screen_pop` campaign key, and the writer that keeps events through a database outage."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ami.codec import Decoder, encode_action
from dialerd.calltrack import AgentConnected, Call, CustomerAnswered, step
from dialerd.config import load_campaigns
from dialerd.connected_events import ConnectedWriter
from dialerd.errors import ConfigError, DialerdError
from dialerd.originate import channel_variable
from dialerd.screen_pop import (
    MAX_VALUE_BYTES,
    Connected,
    Lead,
    ScreenPopSettings,
    channel_variables,
    connected_event,
    connected_payload,
    encoded,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ATTEMPT = uuid.UUID("7d3f9c1e-0000-4000-8000-000000000001")
HEAD = """\
name: spring
queue: sales
region: UA
dial: {trunk: "Local/{number}@out"}
"""
FOLLOWUPS = """\
followups: {url: "https://gateway.example/hooks", secret: s3cret}
"""


@given(st.text(max_size=60))
@example("\x80" * 60)  # 6 bytes each once encoded: cut at MAX_VALUE_BYTES
def test_any_value_is_one_safe_variable_that_decodes_back(value: str) -> None:
    carried = encoded(value)
    variable = channel_variable("__DIALERD_FIELD_notes", carried)  # would raise if unsafe
    wire = encode_action("Originate", {"Channel": "Local/1@x", "Variable": [variable]}, "a1")
    (message,) = Decoder(expect_greeting=False).feed(wire)
    assert message.get_all("Variable") == (variable,)
    decoded = unquote(carried)
    assert value.startswith(decoded)  # the value, or as much of it as MAX_VALUE_BYTES holds
    if decoded != value:
        next_piece = encoded(value[len(decoded)])  # the first character left out
        assert len(carried.encode()) + len(next_piece.encode()) > MAX_VALUE_BYTES
    assert not set(carried) & set(",$(){}[]|^\"';\\")


def test_letters_of_any_script_stay_readable_and_the_rest_is_encoded() -> None:
    assert encoded("Олена O'Brien, 50% (VIP)") == "Олена O%27Brien%2C 50%25 %28VIP%29"


def test_a_long_value_is_cut_whole_characters_at_the_limit() -> None:
    carried = encoded("ж" * 300 + ",")
    assert len(carried.encode()) <= MAX_VALUE_BYTES
    assert unquote(carried) == "ж" * (MAX_VALUE_BYTES // 2)
    assert len(encoded(",," * 200).encode()) == MAX_VALUE_BYTES - MAX_VALUE_BYTES % 3


def test_the_variables_name_the_lead_the_attempt_and_the_chosen_fields() -> None:
    settings = ScreenPopSettings(fields=["account", "plan"])
    lead = Lead(42, "Smith, John", "CRM/9", {"account": "A-1", "other": "not sent"})
    assert channel_variables(settings, "spring", lead) == [
        ("__DIALERD_LEAD_ID", "42"),
        ("__DIALERD_LEAD_NAME", "Smith%2C John"),
        ("__DIALERD_EXTERNAL_ID", "CRM%2F9"),
        ("__DIALERD_CAMPAIGN", "spring"),
        ("__DIALERD_FIELD_account", "A-1"),
        ("__DIALERD_FIELD_plan", ""),
    ]


def connected_call() -> Call:
    call, _ = step(Call(ATTEMPT), CustomerAnswered(), NOW)
    call, _ = step(call, AgentConnected(agent="agent07", hold_s=1.5), NOW)
    return call


def test_an_agent_answering_makes_an_event_only_when_the_campaign_wants_it() -> None:
    wanted = ScreenPopSettings(fields=["account"], webhook=True)
    event = connected_event("spring", wanted, connected_call())
    assert event == Connected(ATTEMPT, "spring", "agent07", 1.5, NOW, ("account",))
    assert connected_event("spring", ScreenPopSettings(), connected_call()) is None
    assert connected_event("spring", wanted, Call(ATTEMPT)) is None  # no agent yet


def test_the_payload_carries_the_lead_the_chosen_fields_and_the_agent() -> None:
    event = Connected(ATTEMPT, "spring", "agent07", 1.5, NOW, ("account", "plan"))
    context = {
        "campaign": "spring",
        "lead_id": 42,
        "external_id": "CRM-9",
        "lead_name": "Smith, John",
        "time_zone": "Europe/Kyiv",
        "fields": {"account": "A-1", "notes": "n"},
        "number": "+380501234567",
        "attempt_number": 2,
    }
    body = connected_payload(event, context)
    assert body["event"] == "call_connected"
    assert body["id"] == f"call_connected:{ATTEMPT}"
    assert body["lead"]["fields"] == {"account": "A-1", "notes": "n"}
    assert body["screen_pop"] == {"account": "A-1", "plan": ""}
    assert body["agent"] == {"name": "agent07", "hold_s": 1.5}
    assert body["attempt"] == {"id": str(ATTEMPT), "number": 2}
    assert body["occurred_at"] == NOW.isoformat()


def load(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "spring.yaml").write_text(HEAD + text)
    try:
        load_campaigns(tmp_path)
    except ConfigError as exc:
        return [str(problem) for problem in exc.problems]
    return []


def test_the_key_is_checked_at_its_line(tmp_path: Path) -> None:
    assert load(tmp_path, FOLLOWUPS + "screen_pop: {fields: [account], webhook: true}\n") == []
    path = tmp_path / "spring.yaml"
    assert load(tmp_path, "screen_pop:\n  fields: [account, 'Account No']\n") == [
        f"{path}:6:21: screen_pop.fields.1: 'Account No' cannot name a channel variable"
        " (DIALERD_FIELD_<name>): use letters, digits and _, starting with a letter, up to 40,"
        " and name the lead file's column so"
    ]
    assert load(tmp_path, "screen_pop:\n  fields: [account, account]\n") == [
        f"{path}:5:1: screen_pop: fields must not name a field twice"
    ]
    assert load(tmp_path, "screen_pop: {webhook: true}\n") == [
        f"{path}:1:1: screen_pop.webhook needs followups (its URL and secret) set too"
    ]


class FlakyStore:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.written: list[uuid.UUID] = []

    async def write(self, events: Sequence[Connected]) -> None:
        if self.failures:
            self.failures -= 1
            raise DialerdError("database unavailable")
        self.written.extend(e.attempt_id for e in events)


async def test_events_wait_out_a_database_outage_in_order() -> None:
    store = FlakyStore(failures=2)
    writer = ConnectedWriter(store)
    ids = [uuid.uuid4() for _ in range(3)]
    for attempt_id in ids:
        writer.put(Connected(attempt_id, "spring", "agent07", 0.0, NOW))
    assert not await writer.write_pending()
    assert not await writer.write_pending()
    assert writer.pending == 3
    assert await writer.write_pending()
    assert (store.written, writer.pending, writer.dropped) == (ids, 0, 0)


@pytest.mark.parametrize("extra", [1, 5])
async def test_only_events_beyond_the_cap_are_dropped_oldest_first(
    monkeypatch: pytest.MonkeyPatch, extra: int
) -> None:
    monkeypatch.setattr("dialerd.connected_events.MAX_PENDING", 4)
    store = FlakyStore(failures=0)
    writer = ConnectedWriter(store)
    ids = [uuid.uuid4() for _ in range(4 + extra)]
    for attempt_id in ids:
        writer.put(Connected(attempt_id, "spring", "agent07", 0.0, NOW))
    assert await writer.write_pending()
    assert (store.written, writer.dropped) == (ids[extra:], extra)
