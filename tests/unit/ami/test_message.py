"""Message accessors and error texts: what a consumer reads from events and exceptions."""

from __future__ import annotations

import pytest

from ami import (
    ActionFailed,
    ActionTimeout,
    AmiConnectionError,
    AmiError,
    ConnectionLost,
    Event,
    InvalidHeader,
    Message,
    NotConnected,
    Response,
)


def test_get_prefers_the_exact_key_and_falls_back_to_any_case() -> None:
    event = Event({"Event": "Hangup", "Cause-txt": "Normal Clearing"})
    assert event.get("Cause-txt") == "Normal Clearing"
    assert event.get("cause-TXT") == "Normal Clearing"
    assert event["EVENT"] == "Hangup"
    assert event.get("Missing") is None
    assert event.get("Missing", "x") == "x"
    with pytest.raises(KeyError):
        event["Missing"]


def test_kind_name_and_action_id_are_read_from_the_headers() -> None:
    event = Event({"Event": "OriginateResponse", "ActionID": "a-1"})
    response = Response({"Response": "Success", "ActionID": "a-2"})
    assert (event.name, event.action_id, event.is_event, event.is_response) == (
        "OriginateResponse",
        "a-1",
        True,
        False,
    )
    assert (response.name, response.action_id, response.is_response) == ("", "a-2", True)
    assert Message({}).action_id is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [("Success", True), ("Goodbye", True), ("Follows", True), ("Pong", True), ("Error", False)],
)
def test_response_ok_knows_the_success_words(value: str, ok: bool) -> None:
    assert Response({"Response": value}).ok is ok


def test_raise_for_error_passes_success_through() -> None:
    response = Response({"Response": "Success"})
    assert response.raise_for_error() is response


def test_messages_are_immutable() -> None:
    event = Event({"Event": "A"})
    with pytest.raises(AttributeError):
        event.headers = {}  # type: ignore[misc]


def test_errors_name_the_action_and_its_action_id() -> None:
    assert str(ConnectionLost("peer reset", action="Originate", action_id="x-3")) == (
        "connection lost (Originate, ActionID x-3): peer reset"
    )
    assert "ActionID x-4" in str(ActionTimeout("Originate", "x-4", 2.5))
    assert "2.5 s" in str(ActionTimeout("Originate", "x-4", 2.5))
    assert "Originate was not sent" in str(NotConnected(action="Originate"))
    failed = ActionFailed(Response({"Response": "Error", "Message": "No such channel"}))
    assert str(failed) == "action failed: No such channel"


def test_the_error_tree_separates_retryable_from_fatal() -> None:
    for retryable in (ConnectionLost("x"), NotConnected(), ActionTimeout("A", "1", 1.0)):
        assert isinstance(retryable, AmiConnectionError)
    assert issubclass(InvalidHeader, ValueError)
    assert issubclass(InvalidHeader, AmiError)
    assert not issubclass(InvalidHeader, AmiConnectionError)
