"""Answering machine detection: the campaign key, the Originate's variables, the tracker's
outcome, the user event's translation and the journal's round trip."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ami import Event
from dialerd.amd_settings import AmdSettings
from dialerd.amievents import call_event
from dialerd.calltrack import (
    AgentConnected,
    AmdDone,
    Call,
    CallEvent,
    CustomerAnswered,
    Finished,
    HungUp,
    OriginateResult,
    QueueGaveUp,
    step,
)
from dialerd.domain import Amd, AttemptResult, Outcome
from dialerd.journal import decode, encode
from dialerd.originate import amd_variables

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def run(events: list[CallEvent]) -> list[Finished]:
    call = Call(attempt_id=uuid.uuid4(), originated_at=T0)
    finished: list[Finished] = []
    for n, event in enumerate(events):
        call, effects = step(call, event, T0 + timedelta(seconds=n))
        finished.extend(effects)
    return finished


ANSWERED: list[CallEvent] = [OriginateResult(4), CustomerAnswered()]


@pytest.mark.parametrize("action", ["hangup", "message"])
def test_a_machine_hung_up_on_or_left_a_message_ends_as_machine(action: str) -> None:
    amd = AmdDone("MACHINE", "LONGGREETING-2000-1500", 2100, action)
    (finished,) = run([*ANSWERED, amd, HungUp(16)])
    assert finished.result.outcome is Outcome.MACHINE
    assert finished.result.amd == Amd("MACHINE", "LONGGREETING-2000-1500", 2100, action)


def test_a_person_queued_reaches_an_agent_and_keeps_the_amd_result() -> None:
    amd = AmdDone("HUMAN", "HUMAN-800-800", 1700, "agent")
    (finished,) = run([*ANSWERED, amd, AgentConnected("agent01", 0.2), HungUp(16)])
    assert finished.result.outcome is Outcome.CONNECTED
    assert finished.result.amd is not None
    assert finished.result.amd.status == "HUMAN"


def test_a_person_who_found_no_agent_is_abandoned_not_machine() -> None:
    amd = AmdDone("HUMAN", "HUMAN-800-800", 1900, "agent")
    (finished,) = run([*ANSWERED, amd, QueueGaveUp("TIMEOUT"), HungUp(16)])
    assert finished.result.outcome is Outcome.ABANDONED


def test_a_customer_hanging_up_during_amd_is_abandoned() -> None:
    (finished,) = run([*ANSWERED, HungUp(16)])
    assert finished.result.outcome is Outcome.ABANDONED
    assert finished.result.amd is None


def test_the_amd_result_before_the_originate_response_still_counts_as_answered() -> None:
    amd = AmdDone("MACHINE", "LONGGREETING-2000-1500", 2000, "hangup")
    (finished,) = run([amd, OriginateResult(4), HungUp(16)])
    assert finished.result.outcome is Outcome.MACHINE
    assert finished.result.answered_at is not None


def test_the_user_event_becomes_amd_done_and_an_unknown_action_reads_as_agent() -> None:
    headers = {"UserEvent": "DialerdAmd", "Status": "NOTSURE", "Cause": "TOOLONG-5000"}
    event = call_event(Event({"Event": "UserEvent", **headers, "Ms": "5003", "Action": "agent"}))
    assert event == AmdDone("NOTSURE", "TOOLONG-5000", 5003, "agent")
    odd = call_event(Event({"Event": "UserEvent", **headers, "Ms": "nan", "Action": "rm -rf"}))
    assert odd == AmdDone("NOTSURE", "TOOLONG-5000", 0, "agent")


def test_amd_is_off_by_default_and_sends_no_variables() -> None:
    assert amd_variables(AmdSettings(), drops_left=True) == []


def test_the_originate_carries_the_parameters_and_actions() -> None:
    amd = AmdSettings(enabled=True, machine="message", message="custom/drop", greeting_ms=1200)
    variables = amd_variables(amd, drops_left=True)
    assert "DIALERD_AMD=2500:1200:500:5000:100:50:3:256:5000" in variables
    assert "DIALERD_AMD_MACHINE=message" in variables
    assert "DIALERD_AMD_MESSAGE=custom/drop" in variables


def test_a_lead_without_drops_left_gets_a_hangup_instead_of_a_message() -> None:
    amd = AmdSettings(enabled=True, machine="message", notsure="message", message="custom/drop")
    variables = amd_variables(amd, drops_left=False)
    assert "DIALERD_AMD_MACHINE=hangup" in variables
    assert "DIALERD_AMD_NOTSURE=hangup" in variables


def test_a_message_action_needs_a_sound() -> None:
    with pytest.raises(ValidationError, match=r"needs amd\.message"):
        AmdSettings(enabled=True, machine="message")


def test_out_of_range_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="greeting_ms"):
        AmdSettings(greeting_ms=20_000)
    with pytest.raises(ValidationError, match="below total_analysis_ms"):
        AmdSettings(greeting_ms=5000, total_analysis_ms=4000)


def test_the_journal_keeps_the_amd_result() -> None:
    result = AttemptResult(
        attempt_id=uuid.uuid4(),
        outcome=Outcome.MACHINE,
        ended_at=T0,
        amd=Amd("MACHINE", "LONGGREETING-2000-1500", 2100, "message"),
    )
    assert decode(encode((result, [])))[0] == result
