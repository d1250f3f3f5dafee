"""The sans-I/O codec: framing, chunking, text decoding and header injection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ami import Decoder, Event, InvalidHeader, ProtocolError, Response, encode_action
from ami.message import Message

GREETING = b"Asterisk Call Manager/9.0.0\r\n"
STREAM = (
    GREETING
    + b"Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
    + "Event: Newchannel\r\nCallerIDName: Иван Петренко\r\nExten: 200\r\n\r\n".encode()
    + b"Event: VarSet\r\nVariable: a\r\nValue: 1\r\n\r\n"
)


def decode_in_chunks(data: bytes, cuts: list[int]) -> tuple[Decoder, list[Message]]:
    decoder = Decoder()
    messages: list[Message] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        messages.extend(decoder.feed(data[start:cut]))
        start = cut
    return decoder, messages


def test_greeting_is_consumed_once_and_exposed() -> None:
    decoder = Decoder()
    messages = decoder.feed(GREETING + b"Event: FullyBooted\r\n\r\n")
    assert decoder.greeting == "Asterisk Call Manager/9.0.0"
    assert [m.name for m in messages] == ["FullyBooted"]


def test_first_line_with_a_colon_is_not_taken_for_a_greeting() -> None:
    decoder = Decoder()
    assert [m.name for m in decoder.feed(b"Event: A\r\n\r\n")] == ["A"]
    assert decoder.greeting is None


def test_messages_are_typed_by_their_first_class_header() -> None:
    _, messages = decode_in_chunks(STREAM, [])
    assert [type(m) for m in messages] == [Response, Event, Event]
    assert messages[0].action_id == "1"
    assert messages[0].is_response
    assert not messages[0].is_event
    assert messages[1]["CallerIDName"] == "Иван Петренко"


def test_several_feeds_without_a_complete_message_return_nothing_until_the_end() -> None:
    decoder = Decoder()
    assert decoder.feed(GREETING + b"Event: A\r\n") == []
    assert decoder.feed(b"Key: v\r\n\r") == []
    assert [m.headers for m in decoder.feed(b"\n")] == [{"Event": "A", "Key": "v"}]


def test_a_split_at_every_byte_offset_yields_the_same_messages() -> None:
    _, whole = decode_in_chunks(STREAM, [])
    for offset in range(len(STREAM) + 1):
        _, split = decode_in_chunks(STREAM, [offset])
        assert split == whole, offset


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=30))
def test_any_chunking_yields_the_same_messages(cuts: list[int]) -> None:
    _, whole = decode_in_chunks(STREAM, [])
    decoder, chunked = decode_in_chunks(STREAM, cuts)
    assert chunked == whole
    assert decoder.greeting == "Asterisk Call Manager/9.0.0"


def test_a_multibyte_character_split_between_reads_comes_out_whole() -> None:
    data = "Event: Hangup\r\nCallerIDName: Жанна\r\n\r\n".encode()
    middle_of_zhe = data.index("Ж".encode()) + 1
    decoder = Decoder(expect_greeting=False)
    assert decoder.feed(data[:middle_of_zhe]) == []
    (message,) = decoder.feed(data[middle_of_zhe:])
    assert message["CallerIDName"] == "Жанна"


def test_invalid_utf8_is_replaced_not_dropped() -> None:
    (message,) = Decoder(expect_greeting=False).feed(b"Event: A\r\nName: a\xffb\r\n\r\n")
    assert message["Name"] == "a\ufffdb"


def test_repeated_headers_keep_the_first_in_headers_and_all_in_multi() -> None:
    data = b"Event: Newexten\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nExten: s\r\n\r\n"
    (message,) = Decoder(expect_greeting=False).feed(data)
    assert message["ChanVariable"] == "A=1"
    assert message.multi == {"ChanVariable": ("A=1", "B=2")}
    assert message.get_all("ChanVariable") == ("A=1", "B=2")
    assert message.get_all("Exten") == ("s",)


def test_command_output_lines_are_kept_in_order() -> None:
    data = (
        b"Response: Success\r\nActionID: 7\r\nOutput: Name   Status\r\nOutput: 100    OK\r\n"
        b"Output: 2 objects found.\r\n\r\n"
    )
    (message,) = Decoder(expect_greeting=False).feed(data)
    assert message.get_all("Output") == ("Name   Status", "100    OK", "2 objects found.")


def test_old_style_output_without_colons_goes_under_output() -> None:
    data = b"Response: Follows\r\nPrivilege: Command\r\nline one\nline two\n--END COMMAND--\r\n\r\n"
    (message,) = Decoder(expect_greeting=False).feed(data)
    assert message.get_all("Output") == ("line one", "line two", "--END COMMAND--")
    assert isinstance(message, Response)
    assert message.ok


def test_a_line_splits_at_its_first_colon_space_whatever_else_is_in_the_message() -> None:
    decoder = Decoder(expect_greeting=False)
    fast, slow = decoder.feed(b"Event: A\r\nK:v: w\r\n\r\nEvent: A\r\nK:v: w\r\nX:\r\n\r\n")
    assert fast["K:v"] == slow["K:v"] == "w"


def test_headers_without_a_space_after_the_colon_are_accepted() -> None:
    (message,) = Decoder(expect_greeting=False).feed(b"Event:A\r\nEmpty:\r\nSpaced: x: y\r\n\r\n")
    assert message.headers == {"Event": "A", "Empty": "", "Spaced": "x: y"}


def test_a_peer_using_bare_line_feeds_is_understood() -> None:
    decoder = Decoder()
    data = b"Asterisk Call Manager/9.0.0\nEvent: A\nKey: 1\n\nEvent: B\n\n"
    messages = [m for i in range(len(data)) for m in decoder.feed(data[i : i + 1])]
    assert [m.headers for m in messages] == [{"Event": "A", "Key": "1"}, {"Event": "B"}]


def test_bare_line_feeds_without_a_greeting_are_detected() -> None:
    messages = Decoder(expect_greeting=False).feed(b"Event: A\n\nEvent: B\n\n")
    assert [m.name for m in messages] == ["A", "B"]


def test_an_endless_message_is_a_protocol_error() -> None:
    decoder = Decoder(max_message_bytes=100)
    decoder.feed(GREETING)
    with pytest.raises(ProtocolError, match="100 bytes"):
        decoder.feed(b"Event: A\r\nJunk: " + b"x" * 200)


def test_an_oversized_complete_message_is_a_protocol_error() -> None:
    decoder = Decoder(max_message_bytes=100, expect_greeting=False)
    with pytest.raises(ProtocolError):
        decoder.feed(b"Event: A\r\nJunk: " + b"x" * 200 + b"\r\n\r\nEvent: B\r\n\r\n")


def test_many_small_messages_in_one_big_read_are_not_oversized() -> None:
    decoder = Decoder(max_message_bytes=100, expect_greeting=False)
    assert len(decoder.feed(b"Event: A\r\n\r\n" * 50)) == 50


def test_encoded_action_decodes_to_the_same_headers() -> None:
    data = encode_action(
        "Originate",
        {"Channel": "Local/100@out", "Timeout": 30000, "Variable": ["A=1", "B=Ірина"]},
        "x-1",
    )
    assert data.endswith(b"\r\n\r\n")
    (message,) = Decoder(expect_greeting=False).feed(data)
    assert message.headers == {
        "Action": "Originate",
        "ActionID": "x-1",
        "Channel": "Local/100@out",
        "Timeout": "30000",
        "Variable": "A=1",
    }
    assert message.get_all("Variable") == ("A=1", "B=Ірина")


def test_pairs_are_accepted_as_headers() -> None:
    data = encode_action("Setvar", [("Variable", "A"), ("Value", "1")], "x-2")
    assert data == b"Action: Setvar\r\nActionID: x-2\r\nVariable: A\r\nValue: 1\r\n\r\n"


@pytest.mark.parametrize(
    ("headers", "action_id"),
    [
        ({"Channel": "Local/1@x\r\nAction: Originate"}, "1"),
        ({"Channel": "Local/1@x\nAction: Originate"}, "1"),
        ({"Channel": "Local/1@x\rAction: Originate"}, "1"),
        ({"Channel\r\nAction: Originate\r\nX": "1"}, "1"),
        ({"Channel": "a\0b"}, "1"),
        ({"Chan:nel": "a"}, "1"),
        ({"": "a"}, "1"),
        ({" Channel": "a"}, "1"),
        ({"ActionID": "other"}, "1"),
        ({"actionid": "other"}, "1"),
        ({"Action": "Hangup"}, "1"),
        ({"Variable": ["A=1", "B=2\r\nAction: Hangup"]}, "1"),
        ({"Async": True}, "1"),
        ({"Timeout": 1.5}, "1"),
        ({"Timeout": None}, "1"),
        ({"Variable": b"A=1"}, "1"),
        ({"Variable": [["A=1"]]}, "1"),
        ({"Name": "\ud800"}, "1"),
        ({}, "1\r\nAction: Hangup"),
    ],
)
def test_injection_attempts_are_refused(headers: dict[str, object], action_id: str) -> None:
    with pytest.raises(InvalidHeader):
        encode_action("Originate", headers, action_id)  # type: ignore[arg-type]  # on purpose


def test_an_action_name_with_a_line_break_is_refused() -> None:
    with pytest.raises(InvalidHeader):
        encode_action("Ping\r\nAction: Hangup", None, "1")


def test_invalid_header_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        encode_action("Ping", {"A": "\n"}, "1")


SAFE_TEXT = st.text(st.characters(blacklist_characters="\r\n\0", blacklist_categories=["Cs"]))
KEYS = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))


@given(
    st.dictionaries(
        KEYS.filter(lambda k: k.lower() not in {"action", "actionid"} and k != ""),
        SAFE_TEXT,
        max_size=8,
    )
)
def test_any_safe_value_survives_encoding_and_decoding(headers: dict[str, str]) -> None:
    (message,) = Decoder(expect_greeting=False).feed(encode_action("Test", headers, "id"))
    assert {k: message.headers[k] for k in headers} == headers


@given(SAFE_TEXT, SAFE_TEXT, st.sampled_from(["\r", "\n", "\r\n", "\0"]))
def test_any_value_with_a_line_break_is_refused(before: str, after: str, brk: str) -> None:
    with pytest.raises(InvalidHeader):
        encode_action("Test", {"Key": before + brk + after}, "id")
