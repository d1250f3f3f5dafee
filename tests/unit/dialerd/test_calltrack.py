from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialerd.calltrack import (
    AgentCallEnded,
    AgentConnected,
    Call,
    CallEvent,
    CallState,
    ConnectionLost,
    CustomerAnswered,
    Finished,
    GaveUpWaiting,
    HungUp,
    OriginateRejected,
    OriginateResult,
    QueueGaveUp,
    Resynced,
    step,
)
from dialerd.domain import Outcome

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def run(events: list[CallEvent]) -> tuple[Call, list[Finished]]:
    call = Call(attempt_id=uuid.uuid4(), originated_at=T0)
    finished: list[Finished] = []
    for n, event in enumerate(events):
        call, effects = step(call, event, T0 + timedelta(seconds=n))
        finished.extend(effects)
    return call, finished


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        (5, Outcome.BUSY),
        (3, Outcome.NO_ANSWER),
        (8, Outcome.CONGESTION),
        (0, Outcome.FAILED),
        (1, Outcome.FAILED),
        (42, Outcome.FAILED),
    ],
)
def test_unanswered_reason_ends_the_call(reason: int, outcome: Outcome) -> None:
    call, finished = run([HungUp(cause=17), OriginateResult(reason)])
    assert call.state is CallState.ENDED
    assert [f.result.outcome for f in finished] == [outcome]
    assert finished[0].result.ast_reason == reason
    assert finished[0].result.hangup_cause == 17


def test_connected_call_records_agent_hold_and_talk() -> None:
    _, finished = run(
        [
            OriginateResult(4),
            CustomerAnswered(),
            AgentConnected("agent03", 0.4),
            AgentCallEnded(talk_s=12),
            HungUp(16),
        ]
    )
    (result,) = [f.result for f in finished]
    assert result.outcome is Outcome.CONNECTED
    assert (result.agent, result.hold_s, result.talk_s, result.hangup_cause) == (
        "agent03",
        0.4,
        12,
        16,
    )
    assert result.answered_at == T0
    assert result.agent_connected_at == T0 + timedelta(seconds=2)


def test_answer_events_in_either_order_give_the_same_outcome() -> None:
    early = run([CustomerAnswered(), OriginateResult(4), AgentConnected("a", 0), HungUp(16)])
    late = run([OriginateResult(4), CustomerAnswered(), AgentConnected("a", 0), HungUp(16)])
    assert early[1][0].result.outcome is late[1][0].result.outcome is Outcome.CONNECTED
    assert early[1][0].result.ast_reason == 4


def test_no_agent_within_grace_is_abandoned() -> None:
    _, finished = run([OriginateResult(4), CustomerAnswered(), QueueGaveUp("TIMEOUT"), HungUp(16)])
    assert [f.result.outcome for f in finished] == [Outcome.ABANDONED]


def test_customer_hanging_up_before_an_agent_counts_as_abandoned() -> None:
    _, finished = run([OriginateResult(4), HungUp(16)])
    assert [f.result.outcome for f in finished] == [Outcome.ABANDONED]


def test_rejected_originate_fails() -> None:
    _, finished = run([OriginateRejected("Extension does not exist")])
    assert [f.result.outcome for f in finished] == [Outcome.FAILED]


def test_lost_connection_then_call_gone_is_unknown() -> None:
    _, finished = run([OriginateResult(4), ConnectionLost(), Resynced(still_live=False)])
    assert [f.result.outcome for f in finished] == [Outcome.UNKNOWN]


def test_lost_connection_then_call_still_live_keeps_tracking() -> None:
    _, finished = run(
        [
            OriginateResult(4),
            AgentConnected("a", 0),
            ConnectionLost(),
            Resynced(still_live=True),
            HungUp(16),
        ]
    )
    assert [f.result.outcome for f in finished] == [Outcome.CONNECTED]


def test_events_after_the_end_change_nothing() -> None:
    call, finished = run([OriginateResult(5), OriginateResult(4), HungUp(1), GaveUpWaiting()])
    assert [f.result.outcome for f in finished] == [Outcome.BUSY]
    assert call.ast_reason == 5


EVENTS = st.one_of(
    st.builds(OriginateRejected, st.text(max_size=5)),
    st.builds(OriginateResult, st.sampled_from([0, 1, 3, 4, 5, 8])),
    st.just(CustomerAnswered()),
    st.builds(AgentConnected, st.sampled_from(["a", "b"]), st.floats(0, 2)),
    st.builds(QueueGaveUp, st.just("TIMEOUT")),
    st.builds(AgentCallEnded, st.floats(0, 100)),
    st.builds(HungUp, st.sampled_from([None, 16, 17])),
    st.just(ConnectionLost()),
    st.builds(Resynced, st.booleans()),
    st.just(GaveUpWaiting()),
)


@given(st.lists(EVENTS, max_size=12))
def test_a_call_ends_at_most_once_and_only_in_the_ended_state(events: list[CallEvent]) -> None:
    call, finished = run(events)
    assert len(finished) <= 1
    assert (call.state is CallState.ENDED) == (len(finished) == 1)


@given(st.lists(EVENTS, max_size=12))
def test_connected_outcome_only_after_an_agent_connected(events: list[CallEvent]) -> None:
    _, finished = run(events)
    for f in finished:
        if f.result.outcome is Outcome.CONNECTED:
            assert f.result.agent is not None


def test_a_customer_hanging_up_first_gives_the_talk_time_from_connect_to_hang_up() -> None:
    events = [OriginateResult(4), CustomerAnswered(), AgentConnected("agent03", 0.0)]
    _, finished = run([*events, HungUp(16), HungUp(16), HungUp(16)][:4])
    (result,) = [f.result for f in finished]
    assert result.talk_s == 1.0  # connected at T0 + 2 s, hung up at T0 + 3 s


def test_a_connect_that_does_not_say_the_hold_time_is_held_from_the_answer() -> None:
    _, finished = run(
        [OriginateResult(4), CustomerAnswered(), AgentConnected("a", None), HungUp(16)]
    )
    (result,) = [f.result for f in finished]
    assert result.hold_s == 2.0  # answered at T0 (the OriginateResponse), connected at T0 + 2 s
