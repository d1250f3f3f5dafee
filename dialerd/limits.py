"""Attempt limits, pure: may this phone be dialled now, and if not, from when?

The limits are counted from the attempts PostgreSQL holds (``call_attempts``), so every node and
every restart sees the same history; this module only decides. Each limit alone is monotone
in time (once it allows a dial, it allows every later one while nothing new is dialled), so
the earliest instant every limit allows is the latest of the instants each allows:

* lifetime caps (per lead, per phone): once reached, no instant allows a dial;
* a rolling cap of ``calls`` per ``span``: a dial at T is allowed while fewer than ``calls``
  attempts lie in (T - span, T]; over it, the earliest T is the ``calls``-th most recent
  attempt plus ``span``. Scope ``number`` counts every attempt to the E.164 number (every
  campaign and lead: the same person); scope ``lead`` the lead's attempts;
* a gap after the lead's last conversation, and a lockout after the number's last abandoned
  call, both counted from the end of that call.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialerd.errors import DialerdError

__all__ = [
    "NO_LIMITS",
    "AttemptHistory",
    "Deferral",
    "LimitReached",
    "Limits",
    "RollingCap",
    "Scope",
    "check",
]


class Scope(enum.StrEnum):
    NUMBER = "number"  # every attempt to the number, any campaign or lead
    LEAD = "lead"  # the lead's attempts, all its numbers


@dataclass(frozen=True, slots=True)
class RollingCap:
    calls: int  # at most this many attempts ...
    span: timedelta  # ... in any span of this length
    scope: Scope


@dataclass(frozen=True, slots=True)
class Limits:
    """A campaign's attempt limits; None or empty: that limit does not apply."""

    lead_lifetime: int | None = None
    phone_lifetime: int | None = None
    rolling: tuple[RollingCap, ...] = ()
    after_conversation: timedelta | None = None
    after_abandoned: timedelta | None = None

    @property
    def any(self) -> bool:
        return self != NO_LIMITS

    def number_scoped(self) -> Limits:
        """The limits another lead or campaign can break by dialling the same number: what
        the attempt's own transaction re-checks under the number's lock."""
        number_caps = tuple(cap for cap in self.rolling if cap.scope is Scope.NUMBER)
        return Limits(rolling=number_caps, after_abandoned=self.after_abandoned)

    def lookback(self, scope: Scope) -> tuple[timedelta, int]:
        """How far back, and how many of the newest attempts, the rolling caps of ``scope``
        need: (the longest span, the largest cap); (0, 0) when there are none."""
        caps = [cap for cap in self.rolling if cap.scope is scope]
        if not caps:
            return timedelta(0), 0
        return max(cap.span for cap in caps), max(cap.calls for cap in caps)


NO_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class AttemptHistory:
    """What PostgreSQL knows of a claimed phone's past attempts, in every campaign."""

    phone_id: int
    phone_attempts: int = 0  # ever, on this phone
    lead_attempts: int = 0  # ever, on the whole lead
    # Start times of recent attempts (within the lookback), any order.
    number_times: tuple[datetime, ...] = field(default=())
    lead_times: tuple[datetime, ...] = field(default=())
    last_conversation_end: datetime | None = None  # the lead's last connected call
    last_abandoned_end: datetime | None = None  # the number's last abandoned call


@dataclass(frozen=True, slots=True)
class Deferral:
    """Not before ``until`` (None: never, as the limits stand), because ``reason``."""

    until: datetime | None
    reason: str


class LimitReached(DialerdError):
    """An attempt refused where it is written: a dial of the same number by another lead,
    campaign or node got in first, and this one would break a limit (Store.create_attempt)."""

    def __init__(self, phone_id: int, deferral: Deferral) -> None:
        self.phone_id = phone_id
        self.deferral = deferral
        super().__init__(f"phone {phone_id} not dialled: {deferral.reason}")


def check(limits: Limits, history: AttemptHistory, now: datetime) -> Deferral | None:
    """None when a dial at ``now`` is within every limit; else the earliest instant every
    limit allows one (never before ``now``) and the reason of the limit that holds it last."""
    lifetime = _lifetime(limits, history)
    if lifetime is not None:
        return lifetime
    bounds = [*_rolling(limits, history), *_gaps(limits, history)]
    binding = [(at, why) for at, why in bounds if at > now]
    if not binding:
        return None
    until, reason = max(binding, key=lambda bound: bound[0])
    return Deferral(until, reason)


def _lifetime(limits: Limits, history: AttemptHistory) -> Deferral | None:
    caps = (
        (limits.lead_lifetime, history.lead_attempts, "the lead"),
        (limits.phone_lifetime, history.phone_attempts, "this phone"),
    )
    for cap, made, whose in caps:
        if cap is not None and made >= cap:
            return Deferral(None, f"{made} attempts on {whose}: lifetime cap {cap} reached")
    return None


def _rolling(limits: Limits, history: AttemptHistory) -> Iterable[tuple[datetime, str]]:
    for cap in limits.rolling:
        times = history.number_times if cap.scope is Scope.NUMBER else history.lead_times
        newest = sorted(times, reverse=True)
        if len(newest) >= cap.calls:
            # Allowed once the cap-th newest attempt has left the span.
            hours = cap.span / timedelta(hours=1)
            yield (
                newest[cap.calls - 1] + cap.span,
                (f"{cap.calls} calls per {hours:g} h to the {cap.scope.value} reached"),
            )


def _gaps(limits: Limits, history: AttemptHistory) -> Iterable[tuple[datetime, str]]:
    gaps = (
        (limits.after_conversation, history.last_conversation_end, "a conversation with the lead"),
        (limits.after_abandoned, history.last_abandoned_end, "an abandoned call to the number"),
    )
    for gap, since, what in gaps:
        if gap is not None and since is not None:
            yield since + gap, f"{gap / timedelta(hours=1):g} h after {what}"
