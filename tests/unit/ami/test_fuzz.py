"""Fuzzing the AMI decoder: whatever bytes arrive, in whatever pieces, it never crashes.

The only error it may raise is ProtocolError (a message over the size limit); every message
it returns can be read in full (events are parsed lazily, so the test reads them).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ami.codec import Decoder
from ami.errors import ProtocolError
from ami.message import Message, Response

KEYS = ["Event", "Response", "ActionID", "Message", "Uniqueid", "Output", "EventList", ""]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
LINE = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(KEYS), TEXT),
    st.builds(lambda k, v: f"{k}:{v}", TEXT, TEXT),
    TEXT,
)
EOL = st.sampled_from(["\r\n", "\n", "\r"])


def read_fully(message: Message) -> None:
    """Touch everything a consumer can read, so lazy parsing runs too."""
    assert isinstance(message.name, str)
    for key, value in message.headers.items():
        assert isinstance(key, str)
        assert isinstance(value, str)
        assert message.get_all(key)
    assert isinstance(dict(message.multi), dict)
    message.get("Uniqueid")
    repr(message)
    if isinstance(message, Response):
        assert isinstance(message.ok, bool)
        assert isinstance(message.message, str)


def feed_all(decoder: Decoder, chunks: list[bytes]) -> None:
    for chunk in chunks:
        try:
            messages = decoder.feed(chunk)
        except ProtocolError:
            continue  # the decoder dropped the oversized message; it goes on with the next
        for message in messages:
            read_fully(message)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=12), st.booleans())
def test_arbitrary_bytes_never_crash_the_decoder(chunks: list[bytes], greeting: bool) -> None:
    feed_all(Decoder(max_message_bytes=256, expect_greeting=greeting), chunks)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(LINE, min_size=1, max_size=6), max_size=6),
    EOL,
    st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
    st.booleans(),
)
def test_near_ami_text_in_any_pieces_never_crashes_the_decoder(
    blocks: list[list[str]], eol: str, cuts: list[int], greeting: bool
) -> None:
    text = "Asterisk Call Manager/9.0.0\r\n" if greeting else ""
    text += "".join(eol.join(lines) + eol + eol for lines in blocks)
    data = text.encode("utf-8", "surrogatepass")
    points = sorted({min(cut, len(data)) for cut in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    feed_all(Decoder(expect_greeting=greeting), chunks)
