"""Values that come out of an AMI connection: messages, list results, connection changes.

An AMI message is a block of ``Key: Value`` lines. Asterisk repeats some keys (``Variable``,
``ChanVariable``, ``Output``), so a message keeps the first value of each key in ``headers``
(what almost every caller wants) and every value, in order, in ``multi`` for keys that repeated.
The decoder picks the subclass — ``Event`` or ``Response`` — so consumers can dispatch on type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Self, overload

from ami.errors import ActionFailed

__all__ = [
    "OUTPUT_KEY",
    "ConnectionStateChanged",
    "Event",
    "ListResult",
    "Message",
    "Response",
    "find_header",
    "parse_block",
]

# ``Response`` values that mean the action was accepted. ``Pong`` is what Asterisk < 1.6 sent.
_OK_RESPONSES = frozenset({"success", "goodbye", "follows", "pong"})


class Message:
    """One AMI message as received; ``get`` and ``[]`` ignore the case of the key.

    Read-only. Events come from the decoder unparsed: ``get`` finds one header with a
    substring search of the message text, and the full ``headers`` mapping is built only
    when something asks for it. A consumer that reads two headers of the events it cares
    about (and only the name of the rest) never pays for parsing the other fifteen lines.
    """

    __slots__ = ("_eol", "_headers", "_multi", "_text")

    def __init__(
        self, headers: Mapping[str, str], multi: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        self._text: str | None = None
        self._eol = "\r\n"
        self._headers: Mapping[str, str] | None = headers
        self._multi: Mapping[str, tuple[str, ...]] | None = multi if multi is not None else {}

    @classmethod
    def unparsed(cls, text: str, eol: str) -> Self:
        """A message over the raw text of one block (lines separated by ``eol``)."""
        message = object.__new__(cls)
        message._text, message._eol, message._headers, message._multi = text, eol, None, None
        return message

    @property
    def headers(self) -> Mapping[str, str]:
        """The first value of every key."""
        if self._headers is None:
            self._parse()
        assert self._headers is not None
        return self._headers

    @property
    def multi(self) -> Mapping[str, tuple[str, ...]]:
        """Every value, in order, of each key that repeated."""
        if self._multi is None:
            self._parse()
        assert self._multi is not None
        return self._multi

    def _parse(self) -> None:
        assert self._text is not None
        self._headers, self._multi = parse_block(self._text, self._eol)

    @overload
    def get(self, key: str) -> str | None: ...

    @overload
    def get(self, key: str, default: str) -> str: ...

    def get(self, key: str, default: str | None = None) -> str | None:
        """Value of ``key``; the exact spelling is tried first because it almost always hits."""
        text = self._text
        if text is not None and self._headers is None:
            value = find_header(text, self._eol, key)
            return value if value is not None else default
        headers = self.headers
        value = headers.get(key)
        if value is not None:
            return value
        wanted = key.lower()
        for name, candidate in headers.items():
            if name.lower() == wanted:
                return candidate
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get_all(self, key: str) -> tuple[str, ...]:
        """Every value of ``key`` in arrival order, whether it repeated or not."""
        values = self.multi.get(key)
        if values is not None:
            return values
        value = self.get(key)
        return () if value is None else (value,)

    @property
    def name(self) -> str:
        """The ``Event`` header, or ``""`` when this is not an event."""
        return self.get("Event", "")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def is_event(self) -> bool:
        return self.get("Event") is not None

    @property
    def is_response(self) -> bool:
        return self.get("Response") is not None

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Message)
        return dict(self.headers) == dict(other.headers) and dict(self.multi) == dict(other.multi)

    __hash__ = None  # type: ignore[assignment]  # equal by content, and content is a dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.headers)!r})"


def find_header(text: str, eol: str, key: str) -> str | None:
    """First value of ``key`` in a block, as the parser would give it, without parsing it all.

    A header is a line starting with ``key: ``; the first such line wins, as in ``headers``.
    Keys are matched exactly, then, only on a miss, regardless of case.
    """
    prefix = key + ": "
    if text.startswith(prefix):
        start = len(prefix)
    else:
        found = text.find(eol + prefix)
        if found < 0:
            return _find_header_any_case(text, eol, key)
        start = found + len(eol) + len(prefix)
    end = text.find(eol, start)
    return text[start:] if end < 0 else text[start:end]


def _find_header_any_case(text: str, eol: str, key: str) -> str | None:
    lowered = text.lower()
    if len(lowered) != len(text):  # a rare letter whose lower case is longer: parse instead
        headers, _ = parse_block(text, eol)
        return next((v for k, v in headers.items() if k.lower() == key.lower()), None)
    prefix = key.lower() + ": "
    if lowered.startswith(prefix):
        start = len(prefix)
    else:
        found = lowered.find(eol + prefix)
        if found < 0:
            return None
        start = found + len(eol) + len(prefix)
    end = text.find(eol, start)
    return text[start:] if end < 0 else text[start:end]


# Old Asterisk ``Command`` responses carry raw output lines with no colon; keep them under this.
OUTPUT_KEY = "Output"


def parse_block(text: str, eol: str) -> tuple[dict[str, str], Mapping[str, tuple[str, ...]]]:
    """Headers (first value of each key) and repeated keys of one message's text.

    Nearly every message has unique keys and ``": "`` on every line: one pass. Anything
    else (a repeated key, ``Key:Value``, colon-less output lines) is parsed again slowly.
    """
    lines = text.split(eol)
    headers: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep:
            break
        headers[key] = value
    else:
        if len(headers) == len(lines):
            return headers, _NO_MULTI
    return _parse_slowly(lines)


_NO_MULTI: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def _parse_slowly(lines: list[str]) -> tuple[dict[str, str], Mapping[str, tuple[str, ...]]]:
    values: dict[str, list[str]] = {}
    for line in lines:
        for key, value in _header_pairs(line):
            values.setdefault(key, []).append(value)
    headers = {key: found[0] for key, found in values.items()}
    multi = {key: tuple(found) for key, found in values.items() if len(found) > 1}
    return headers, multi


def _header_pairs(line: str) -> list[tuple[str, str]]:
    if not line:
        return []
    if "\n" in line:  # an old Command response's raw output inside a CRLF message
        return [(OUTPUT_KEY, part) for part in line.split("\n") if part]
    # The same rule as the fast path: split at the first ": ", else at the first ":".
    key, sep, value = line.partition(": ")
    if not sep:
        key, sep, value = line.partition(":")
    if not sep or not key:
        return [(OUTPUT_KEY, line)]
    return [(key, value)]


class Event(Message):
    """A message with an ``Event`` header."""

    __slots__ = ()


class Response(Message):
    """The answer to one action, matched to it by ActionID."""

    __slots__ = ()

    @property
    def ok(self) -> bool:
        """True unless Asterisk said ``Error`` (or something we do not know as success)."""
        return self.get("Response", "").lower() in _OK_RESPONSES

    @property
    def message(self) -> str:
        """The human-readable ``Message`` header, ``""`` when absent."""
        return self.get("Message", "")

    def raise_for_error(self) -> Response:
        """Raise ``ActionFailed`` for an error response; return ``self`` so calls can chain."""
        if not self.ok:
            raise ActionFailed(self)
        return self


@dataclass(frozen=True, slots=True)
class ListResult:
    """A list action's response and the events Asterisk sent for it, final event included."""

    response: Response
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    """Put on every event stream when the client logs in or loses its connection.

    Events may have been missed while disconnected, so ``connected=True`` is the consumer's cue
    to resynchronise its view of Asterisk (for example with a status list action).
    """

    connected: bool
    reason: str
