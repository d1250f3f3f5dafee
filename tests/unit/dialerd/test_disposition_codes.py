"""What each disposition code does to the lead, and the callback's time and owner checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ami import Event
from dialerd.cli import main
from dialerd.disposition_codes import Act, act_of
from dialerd.dispositions import InvalidDisposition, from_user_event, parse_disposition

ATTEMPT = str(uuid.UUID("0b7e6f2a-4f7c-4a57-9d0e-0c3f3a1d2e11"))
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LATER = "2026-12-03T15:00:00+02:00"


@pytest.mark.parametrize(
    ("code", "at", "act"),
    [
        ("sale", None, Act.CLOSE),
        ("Not_Interested", None, Act.CLOSE),
        ("dnc", None, Act.DNC),
        ("wrong_number", None, Act.WRONG_NUMBER),
        ("callback", LATER, Act.CALLBACK),
        ("callback", None, Act.NOTE),  # no time: nothing to book
        ("promised_to_think", None, Act.NOTE),
    ],
)
def test_each_code_has_its_act(code: str, at: str | None, act: Act) -> None:
    assert act_of(parse_disposition(ATTEMPT, code, "agent03", None, "api", callback_at=at)) is act


def test_a_callback_keeps_its_time_with_its_offset_and_its_owner() -> None:
    parsed = parse_disposition(
        ATTEMPT, "callback", "agent03", "", "api", callback_at=LATER, owner="Agent", now=NOW
    )
    assert parsed.callback_at == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert parsed.callback_at.utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)
    assert parsed.owned
    assert not parse_disposition(ATTEMPT, "callback", None, "", "api", callback_at=LATER).owned


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        (("callback", "tomorrow", None, None), "callback_at", "is not an ISO 8601 time"),
        (("callback", "2026-12-03T15:00:00", None, None), "callback_at", "has no UTC offset"),
        (("callback", "2028-01-01T00:00:00+00:00", None, None), "callback_at", "a year ahead"),
        (("sale", LATER, None, None), "callback_at", "for the disposition callback, not 'sale'"),
        (("callback", LATER, "boss", "a1"), "owner", "is not one of anyone, agent"),
        (("callback", LATER, "agent", None), "owner", "needs the agent's name"),
        (("callback", None, "agent", "a1"), "owner", "for a callback with a callback_at"),
    ],
)
def test_bad_callbacks_say_which_part_is_wrong(
    given: tuple[str, str | None, str | None, str | None], field: str, message: str
) -> None:
    code, at, owner, agent = given
    with pytest.raises(InvalidDisposition, match=message) as caught:
        parse_disposition(ATTEMPT, code, agent, None, "api", callback_at=at, owner=owner, now=NOW)
    assert caught.value.field == field


def test_the_user_event_carries_the_callback_headers() -> None:
    event = Event(
        {
            "Event": "UserEvent",
            "UserEvent": "DialerdDisposition",
            "Attempt": ATTEMPT,
            "Disposition": "callback",
            "Agent": "agent03",
            "CallbackAt": LATER,
            "Owner": "agent",
        }
    )
    parsed = from_user_event(event)
    assert (parsed.callback_at, parsed.owned) == (datetime.fromisoformat(LATER), True)
    # The dialplan's Gosub with four arguments sends the two headers empty: a plain note.
    blank = Event({**event.headers, "Disposition": "sale", "CallbackAt": "", "Owner": ""})
    assert (from_user_event(blank).callback_at, from_user_event(blank).owned) == (None, False)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--at", "2026-12-03T15:00:00"], "has no UTC offset"),
        (["--at", LATER, "--owned"], "owner agent needs the agent's name (agent)"),
    ],
)
def test_the_admin_command_refuses_a_bad_callback_before_touching_the_database(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dialerd.yaml"  # never read: the check comes first
    code = main(["disposition", ATTEMPT, "callback", *extra, "-c", str(missing)])
    assert code == 1
    assert message in capsys.readouterr().err
