"""The Originate of one attempt: nothing but safe values, whatever the lead holds."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from ami.codec import Decoder, encode_action
from dialerd.config import Campaign
from dialerd.domain import DuePhone, PhoneType
from dialerd.originate import UnsafeOriginate, channel_variable, originate_headers

INJECTION = "\r\nAction: Originate\r\nChannel: Local/+447700900002@lab-customers\r\n\r\n"
ATTEMPT = uuid.UUID("7d3f9c1e-0000-4000-8000-000000000001")


def campaign(**dial: Any) -> Campaign:
    return Campaign.model_validate(
        {
            "name": "c",
            "queue": "sales",
            "region": "UA",
            "dial": {"trunk": "Local/{number}@customers", "caller_id": "+442079460000", **dial},
        }
    )


def phone(number: str = "+380501234567", name: str = INJECTION) -> DuePhone:
    return DuePhone(
        phone_id=1,
        lead_id=10,
        campaign_id=1,
        number=number,
        phone_type=PhoneType.MOBILE,
        lead_name=name,
        time_zone=None,
        attempts=0,
        lead_attempts=0,
        next_phone_id=None,
        lease_until=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_a_lead_with_an_injection_name_gives_one_plain_originate() -> None:
    headers = originate_headers(campaign(), ATTEMPT, phone(), "+442079460000")
    wire = encode_action("Originate", headers, "a1")
    decoder = Decoder(expect_greeting=False)
    (message,) = decoder.feed(wire)
    assert message.get("Action") == "Originate"
    assert message.get("Channel") == "Local/+380501234567@customers"
    assert b"Channel: Local/+447700900002" not in wire  # the name is carried, not obeyed
    assert wire.count(b"\r\n\r\n") == 1
    (name,) = [v for v in message.get_all("Variable") if v.startswith("__DIALERD_LEAD_NAME=")]
    assert unquote(name.split("=", 1)[1]) == INJECTION


@pytest.mark.parametrize(
    "number", ["+380501234567\r\nAction: Hangup", "+380501234567\0", "0501234567", "+38,0501"]
)
def test_a_number_that_is_not_e164_is_refused(number: str) -> None:
    with pytest.raises(UnsafeOriginate, match=r"not E\.164"):
        originate_headers(campaign(), ATTEMPT, phone(number), None)


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "a\0b", "sales,DIALERD_QUEUE=other"])
def test_a_channel_variable_that_could_set_another_is_refused(value: str) -> None:
    with pytest.raises(UnsafeOriginate, match="CR, LF, NUL or a comma"):
        channel_variable("DIALERD_QUEUE", value)


@pytest.mark.parametrize(
    ("dial", "message"),
    [
        ({"caller_name": "Lab\r\nAction: Hangup"}, "caller_name must be one line"),
        ({"trunk": "SIP/{number}@{carrier}"}, "only {number} may stand in braces"),
        ({"trunk": "SIP/{number}\0"}, "trunk must be one line"),
    ],
)
def test_campaign_dial_settings_that_would_break_an_originate_are_refused(
    dial: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        campaign(**dial)


def variables(headers: dict[str, str | list[str]]) -> dict[str, str]:
    listed = headers["Variable"]
    assert isinstance(listed, list)
    return dict(v.split("=", 1) for v in listed)


def test_a_call_for_one_agent_names_that_agent_and_a_queued_call_none() -> None:
    attempt = uuid.uuid4()
    queued = variables(originate_headers(campaign(), attempt, phone(name="Olena"), None))
    assert "DIALERD_AGENT" not in queued
    preview = replace(phone(name="Olena"), agent_interface="Local/agent05@agents/n")
    preview = replace(preview, agent_name="agent05")
    direct = variables(originate_headers(campaign(), attempt, preview, None))
    assert direct["DIALERD_AGENT"] == "Local/agent05@agents/n"
    assert direct["__DIALERD_AGENT_NAME"] == "agent05"  # inherited: the agent's leg reports it
