"""The values the caller-ID pool works with: numbers, caps, rules, usage, results.

Everything here is a frozen dataclass. Time is always an argument: a timezone-aware
datetime, read as UTC. Usage is counted in calendar UTC buckets (day, hour, minute), so a
"daily cap" resets at 00:00 UTC on every node alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Literal, get_args

Tier = Literal["operator", "area_code", "region", "country", "any"]
TIERS: tuple[Tier, ...] = get_args(Tier)
MAX_AVOID_LAST = 10  # how many caller IDs per customer the stores remember
REMEMBER_CUSTOMER_DAYS = 90  # a customer's caller IDs are forgotten this long after the last

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NumberState(StrEnum):
    ACTIVE = "active"
    QUARANTINED = "quarantined"  # paused by the health check (or an admin) for remediation
    RETIRED = "retired"  # taken out of use by an admin


@dataclass(frozen=True, slots=True)
class Profile:
    """What a number says about itself: country (ISO code), operator, area code, region.

    `area_code` holds the country calling code and the geographic area code as digits
    ("7495" for Moscow, "38044" for Kyiv); it is None for mobile and non-geographic numbers.
    """

    number: str
    country: str | None = None
    operator: str | None = None
    area_code: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Caps:
    """How much one number may be used. `per_hour` None means only the other caps apply."""

    per_day: int = 100
    per_hour: int | None = None
    per_minute: int = 10
    cooldown_s: float = 0.0  # least time between two calls from this number

    def __post_init__(self) -> None:
        limits = (self.per_day, self.per_minute, 1 if self.per_hour is None else self.per_hour)
        if min(limits) < 1 or self.cooldown_s < 0:
            raise ValueError(f"caps must be at least 1 and cooldown_s not negative: {self}")


@dataclass(frozen=True, slots=True)
class PoolNumber:
    profile: Profile
    caps: Caps = Caps()
    weight: float = 1.0  # a number of weight 2 takes twice the share of calls of weight 1
    tags: frozenset[str] = frozenset()
    state: NumberState = NumberState.ACTIVE

    def __post_init__(self) -> None:
        if self.weight <= 0:
            raise ValueError(f"weight of {self.profile.number} must be positive")

    @property
    def number(self) -> str:
        return self.profile.number


@dataclass(frozen=True, slots=True)
class Rules:
    """A campaign's rotation rules; the defaults are the founding brief's."""

    avoid_last: int = 1  # never any of the caller IDs shown on the customer's last K attempts
    prefer: tuple[Tier, ...] = ("operator", "area_code", "region", "any")
    affinity: bool = False  # first try the number the customer once answered
    tags: frozenset[str] = frozenset()  # use only numbers that carry all of these
    max_candidates: int = 4  # the best and fall-backs handed to the atomic reserve

    def __post_init__(self) -> None:
        if not 1 <= self.avoid_last <= MAX_AVOID_LAST:
            raise ValueError(f"avoid_last must be 1..{MAX_AVOID_LAST}, not {self.avoid_last}")
        unknown = [tier for tier in self.prefer if tier not in TIERS]
        if unknown or not self.prefer or len(set(self.prefer)) != len(self.prefer):
            raise ValueError(f"prefer must list distinct tiers out of {TIERS}: {self.prefer}")
        if self.max_candidates < 1:
            raise ValueError("max_candidates must be at least 1")


@dataclass(frozen=True, slots=True)
class Usage:
    """One number's use in the current UTC day, hour and minute."""

    today: int = 0
    this_hour: int = 0
    this_minute: int = 0
    last_used: datetime | None = None


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """Caller IDs a customer (a lead, across its phones and campaigns) was shown, newest first."""

    presented: tuple[str, ...] = ()
    answered_from: str | None = None  # the number the customer answered or called back


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Several customers' histories (in the order asked) and the pool's usage, read at once."""

    histories: tuple[CustomerHistory, ...]
    usage: Mapping[str, Usage]


@dataclass(frozen=True, slots=True)
class Dial:
    """One dial that needs a caller ID: who (the lead) and where (the classified number)."""

    customer_id: str
    attempt_id: str  # unique per attempt; no "|", "," or newline
    destination: Profile


@dataclass(frozen=True, slots=True)
class ReserveRequest:
    customer_id: str
    attempt_id: str
    candidates: tuple[PoolNumber, ...]  # best first
    avoid_last: int = 1


@dataclass(frozen=True, slots=True)
class Candidate:
    number: PoolNumber
    reason: str


@dataclass(frozen=True, slots=True)
class Chosen:
    """The selector's answer: candidates best first; the store reserves the first it can."""

    candidates: tuple[Candidate, ...]

    @property
    def number(self) -> PoolNumber:
        return self.candidates[0].number

    @property
    def reason(self) -> str:
        return self.candidates[0].reason


@dataclass(frozen=True, slots=True)
class NoneAvailable:
    reason: str


Selection = Chosen | NoneAvailable


@dataclass(frozen=True, slots=True)
class Reservation:
    """A caller ID held for one attempt; `release` it if the dial is not placed."""

    customer_id: str
    attempt_id: str
    number: str
    reserved_at: datetime
    previous_last_used: datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why usable numbers could not be taken, counted by the first rule each one broke."""

    seen: int = 0  # among the customer's last K caller IDs
    daily_cap: int = 0
    hourly_cap: int = 0
    minute_cap: int = 0
    cooldown: int = 0

    @property
    def total(self) -> int:
        return self.seen + self.daily_cap + self.hourly_cap + self.minute_cap + self.cooldown


@dataclass(frozen=True, slots=True)
class Presentation:
    """One caller ID shown to a customer, as recorded on a call attempt."""

    customer_id: str
    number: str
    presented_at: datetime
    answered: bool = False
    # The customer called this number back: it counts only for affinity (never as shown to
    # them, nor as a use of the number).
    callback: bool = False


@dataclass(frozen=True, slots=True)
class StateChange:
    """An audit event: a pool number moved from one state to another, why, when, by whom."""

    number: str
    previous: NumberState
    state: NumberState
    reason: str
    at: datetime
    actor: str = "admin"

    @property
    def event(self) -> str:
        if self.state is NumberState.ACTIVE:
            return "caller_id_restored"
        return f"caller_id_{self.state.value}"


@dataclass(frozen=True, slots=True)
class Buckets:
    day: str
    hour: str
    minute: str


@dataclass(frozen=True, slots=True)
class RebuildReport:
    presentations: int
    customers: int
    numbers: int
    states: int = field(default=0)


def utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("time must be timezone-aware (UTC)")
    return now.astimezone(UTC)


@lru_cache(maxsize=64)  # a dial asks for the same instant's buckets several times
def buckets(now: datetime) -> Buckets:
    stamp = utc(now).strftime("%Y%m%d%H%M")
    return Buckets(day=stamp[:8], hour=stamp[:10], minute=stamp)


def epoch_ms(now: datetime) -> int:
    return (utc(now) - EPOCH) // timedelta(milliseconds=1)


def from_epoch_ms(value: int) -> datetime:
    return EPOCH + timedelta(milliseconds=value)
