"""AMI wire format, bytes in and messages out, with no I/O so it can be tested byte by byte.

The decoder sits on the hot path of every event Asterisk emits, so it works in bulk: it splits
the buffer at message boundaries, decodes all complete messages with one ``bytes.decode`` and
parses each line with one ``str.partition``. Only unusual input (a repeated key, a line without
``": "``, a peer using bare LF) falls back to slower code. Text is decoded with
``errors="replace"``: a bad byte becomes U+FFFD instead of silently vanishing, and because only
complete messages are decoded, a character split across two reads comes out whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ami.errors import InvalidHeader, ProtocolError
from ami.message import Event, Message, Response, parse_block

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "Decoder", "HeaderValue", "Headers", "encode_action"]

DEFAULT_MAX_MESSAGE_BYTES = 1 << 20

HeaderValue = str | int | Sequence[str | int]  # only list and tuple are accepted at run time
# Sequence (not Iterable) of pairs: with Iterable, mypy cannot infer mixed-value dict literals.
Headers = Mapping[str, HeaderValue] | Sequence[tuple[str, HeaderValue]]

_CRLF_END = b"\r\n\r\n"
_LF_END = b"\n\n"
_RESERVED_KEYS = frozenset({"action", "actionid"})


class Decoder:
    """Incremental AMI decoder for one connection; feed it whatever ``read()`` returned."""

    def __init__(
        self, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, expect_greeting: bool = True
    ) -> None:
        self.greeting: str | None = None
        self._max = max_message_bytes
        self._buffer = b""
        self._greeting_pending = expect_greeting
        self._bare_lf = False

    def feed(self, data: bytes) -> list[Message]:
        """Add ``data`` and return every message it completed, oldest first."""
        buffer = self._buffer + data if self._buffer else data
        if self._greeting_pending:
            buffer = self._take_greeting(buffer)
        if not self._bare_lf:
            end = buffer.rfind(_CRLF_END)
            if end >= 0 or not _looks_bare_lf(buffer):
                return self._split(buffer, end, _CRLF_END, "\r\n")
            self._bare_lf = True
        buffer = buffer.replace(b"\r\n", b"\n")
        return self._split(buffer, buffer.rfind(_LF_END), _LF_END, "\n")

    def _split(self, buffer: bytes, end: int, terminator: bytes, eol: str) -> list[Message]:
        """Keep the incomplete tail, decode the complete head once and parse it per message."""
        if end < 0:
            self._buffer = self._checked_tail(buffer)
            return []
        self._buffer = self._checked_tail(buffer[end + len(terminator) :])
        head = buffer[:end]
        if len(head) > self._max:
            self._check_sizes(head, terminator)
        text = head.decode("utf-8", "replace")
        return _parse_blocks(text, eol)

    def _checked_tail(self, tail: bytes) -> bytes:
        if len(tail) > self._max:
            self._buffer = b""
            raise ProtocolError(f"AMI message longer than {self._max} bytes without an end")
        return tail

    def _check_sizes(self, head: bytes, terminator: bytes) -> None:
        """Only called when a read was huge, so the common path never measures each message."""
        if any(len(block) > self._max for block in head.split(terminator)):
            self._buffer = b""
            raise ProtocolError(f"AMI message longer than {self._max} bytes")

    def _take_greeting(self, buffer: bytes) -> bytes:
        """Strip ``Asterisk Call Manager/x.y.z`` once; a first line with a colon is no greeting."""
        newline = buffer.find(b"\n")
        if newline < 0:
            return self._checked_tail(buffer)
        self._greeting_pending = False
        line = buffer[:newline]
        if b":" in line:
            return buffer
        if not line.endswith(b"\r"):
            self._bare_lf = True
        self.greeting = line.rstrip(b"\r").decode("utf-8", "replace")
        return buffer[newline + 1 :]


def _looks_bare_lf(buffer: bytes) -> bool:
    """A peer ending messages with LF LF and never sending CR LF uses bare line feeds."""
    return _LF_END in buffer and b"\r\n" not in buffer


def _parse_blocks(text: str, eol: str) -> list[Message]:
    """Split ``text`` into messages; this loop is the decoder's hot path.

    Events stay unparsed text (``Message.unparsed``): their headers are found on demand.
    Responses and other messages are parsed at once; they are few and always read.
    """
    messages: list[Message] = []
    append = messages.append
    lazy_event = Event.unparsed
    for block in text.split(eol + eol):
        if block.startswith("Event: "):
            append(lazy_event(block, eol))
        elif block:
            append(_typed(*parse_block(block, eol)))
    return messages


def _typed(headers: dict[str, str], multi: Mapping[str, tuple[str, ...]]) -> Message:
    if "Event" in headers:
        return Event(headers, multi)
    if "Response" in headers:
        return Response(headers, multi)
    return Message(headers, multi)


def encode_action(action: str, headers: Headers | None, action_id: str) -> bytes:
    """Serialise one action, refusing anything that could break out of its header line.

    List or tuple values become repeated headers (``Variable: a=1``, ``Variable: b=2``). ``Action``
    and ``ActionID`` may not be passed in ``headers``: a second ActionID would break matching.
    """
    lines = [f"Action: {_checked_value('Action', action)}"]
    lines.append(f"ActionID: {_checked_value('ActionID', action_id)}")
    for key, value in _items(headers):
        _check_key(key)
        if isinstance(value, list | tuple):
            lines.extend(f"{key}: {_checked_value(key, item)}" for item in value)
        else:
            lines.append(f"{key}: {_checked_value(key, value)}")
    lines.append("\r\n")
    try:
        return "\r\n".join(lines).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from a mis-decoded file
        raise InvalidHeader(f"header text is not encodable as UTF-8: {exc}") from exc


def _items(headers: Headers | None) -> Iterable[tuple[str, HeaderValue]]:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return headers.items()
    return headers


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise InvalidHeader(f"header name must be a non-empty str, got {key!r}")
    if ":" in key or _has_line_break(key) or key != key.strip():
        raise InvalidHeader(f"header name {key!r} contains ':', CR, LF, NUL or edge spaces")
    if key.lower() in _RESERVED_KEYS:
        raise InvalidHeader(f"header {key!r} is set by the client and cannot be passed")


def _checked_value(key: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        kind = type(value).__name__
        raise InvalidHeader(f"header {key!r} must be str, int or a list of them, not {kind}")
    text = str(value)
    if _has_line_break(text):
        raise InvalidHeader(f"header {key!r} value contains CR, LF or NUL")
    return text


def _has_line_break(text: str) -> bool:
    return "\r" in text or "\n" in text or "\0" in text
