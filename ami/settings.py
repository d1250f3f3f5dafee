"""Connection settings for one Asterisk manager interface, and the reconnect backoff."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, fields

from ami.codec import DEFAULT_MAX_MESSAGE_BYTES

__all__ = ["AmiSettings", "reconnect_delay_s"]

_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class AmiSettings:
    """Where and how to reach one Asterisk manager interface; durations in seconds.

    ``secret`` is a plain string (the caller keeps it out of logs; ``repr`` masks it).
    ``ping_timeout_s`` without an answer to Ping declares the connection dead.
    ``event_queue_size`` bounds each subscription's unread items; one 64 KiB read can carry a
    few hundred events, so keep it well above that. ``max_message_bytes`` caps one message.
    ``events``, when given, names the only events the session wants: after each login the
    client asks Asterisk for just these (the Filter action with ``name()`` criteria, Asterisk
    20+, which needs the ``system`` write class); if Asterisk refuses, the session gets every
    event, as without it. Replies to actions (lists such as CoreShowChannel) are not events
    here: they always come.
    """

    host: str
    port: int
    username: str
    secret: str
    connect_timeout_s: float = 5.0
    action_timeout_s: float = 10.0
    ping_interval_s: float = 5.0
    ping_timeout_s: float = 3.0
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    event_queue_size: int = 100_000
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    events: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"AMI port must be 1-65535, got {self.port}")
        durations = (self.connect_timeout_s, self.action_timeout_s, self.ping_interval_s)
        if min(*durations, self.ping_timeout_s, self.reconnect_min_s) <= 0:
            raise ValueError("AMI timeouts, intervals and reconnect_min_s must be positive")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must not be below reconnect_min_s")
        if self.event_queue_size < 1 or self.max_message_bytes < 1:
            raise ValueError("event_queue_size and max_message_bytes must be positive")
        if self.events is not None and not all(map(_EVENT_NAME.fullmatch, self.events)):
            raise ValueError(f"event names are letters and digits, got {sorted(self.events)}")

    def __repr__(self) -> str:
        """Mask the secret so settings can be logged or shown in a traceback."""
        shown = (
            f"{f.name}={'***' if f.name == 'secret' else repr(getattr(self, f.name))}"
            for f in fields(self)
        )
        return f"AmiSettings({', '.join(shown)})"


def reconnect_delay_s(attempt: int, min_s: float, max_s: float, rng: random.Random) -> float:
    """Full-jitter backoff: uniform between ``min_s`` and a cap that doubles per failed attempt.

    Jitter keeps many clients from hammering a restarted Asterisk in lockstep.
    """
    cap = min(max_s, min_s * 2.0 ** min(attempt, 64))
    return rng.uniform(min_s, cap)
