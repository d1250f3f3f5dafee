"""Every error the ``ami`` package raises, under one root.

Callers decide what to do from the branch an error sits on, so the tree is the contract::

    AmiError
    ├── AmiConnectionError          retryable: the link to Asterisk is (or was) not usable
    │   ├── ConnectionLost          dropped or declared dead while something was pending
    │   ├── NotConnected            no logged-in connection; the action was NOT sent
    │   └── ActionTimeout           no response in time; the action WAS sent, may have acted
    ├── AuthenticationFailed        fatal: wrong username or secret, never retried
    ├── ProtocolError               the peer sent something that is not AMI
    ├── InvalidHeader (ValueError)  we were asked to send a header that could inject lines
    └── ActionFailed                Asterisk answered ``Response: Error``

``NotConnected`` and ``ActionTimeout`` are kept apart on purpose: after ``NotConnected`` an
action can be retried safely, after ``ActionTimeout`` retrying may do the thing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ami.message import Response

__all__ = [
    "ActionFailed",
    "ActionTimeout",
    "AmiConnectionError",
    "AmiError",
    "AuthenticationFailed",
    "ConnectionLost",
    "InvalidHeader",
    "NotConnected",
    "ProtocolError",
]


def _describe(action: str | None, action_id: str | None) -> str:
    """Name an action the way an operator searches logs for it: by name and ActionID."""
    parts = [part for part in (action, action_id and f"ActionID {action_id}") if part]
    return f" ({', '.join(parts)})" if parts else ""


class AmiError(Exception):
    """Root of every error raised by ``ami``; catch this to catch them all."""


class AmiConnectionError(AmiError):
    """The connection to Asterisk is unusable; retrying later may succeed."""


class ConnectionLost(AmiConnectionError):
    """The connection dropped (or missed its Pong) while an action was waiting.

    Whether the action took effect is unknown: it was written before the loss.
    """

    def __init__(
        self, reason: str, *, action: str | None = None, action_id: str | None = None
    ) -> None:
        self.reason = reason
        self.action = action
        self.action_id = action_id
        super().__init__(f"connection lost{_describe(action, action_id)}: {reason}")


class NotConnected(AmiConnectionError):
    """No logged-in connection right now; the action was not written anywhere."""

    def __init__(self, reason: str = "not logged in", *, action: str | None = None) -> None:
        self.reason = reason
        self.action = action
        detail = f"; {action} was not sent" if action is not None else ""
        super().__init__(f"not connected to Asterisk ({reason}){detail}")


class ActionTimeout(AmiConnectionError):
    """No response arrived in time; the action was sent and may have taken effect."""

    def __init__(self, action: str, action_id: str, timeout_s: float) -> None:
        self.action = action
        self.action_id = action_id
        self.timeout_s = timeout_s
        super().__init__(
            f"no response{_describe(action, action_id)} within {timeout_s:g} s;"
            " it was sent and may have taken effect"
        )


class AuthenticationFailed(AmiError):
    """Asterisk refused the username or secret; fix the configuration, do not retry."""


class ProtocolError(AmiError):
    """The peer sent data that cannot be AMI (for example an endless message)."""


class InvalidHeader(AmiError, ValueError):
    """A header to be sent would break the framing, so it was refused before sending.

    Raised for CR, LF or NUL anywhere, for empty keys and keys containing ':' — the ways a
    value taken from outside could smuggle a second action onto the wire.
    """


class ActionFailed(AmiError):
    """Asterisk answered an action with ``Response: Error``."""

    def __init__(self, response: Response, action: str | None = None) -> None:
        self.response = response
        self.action = action
        message = response.message or "no message"
        super().__init__(f"action failed{_describe(action, response.action_id)}: {message}")
