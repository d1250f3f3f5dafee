"""Domain values shared by the daemon and its storage adapters.

Storage returns these frozen values, never ORM rows, so the rest of dialerd does not
know SQLAlchemy exists. Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time


class Outcome(enum.StrEnum):
    """How one call attempt ended. The values are stored as text: a public interface."""

    CONNECTED = "connected"  # answered and talked to an agent
    ABANDONED = "abandoned"  # answered, no agent within the safe-harbour grace
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    FAILED = "failed"  # rejected by Asterisk or the trunk
    MACHINE = "machine"  # answering machine detected
    CANCELLED = "cancelled"  # dialer hung up before an answer (shutdown)
    UNKNOWN = "unknown"  # the daemon lost track; reconciled later


class PhoneType(enum.StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    UNKNOWN = "unknown"


class PhoneState(enum.StrEnum):
    """Where a phone stands in its campaign's schedule."""

    STANDBY = "standby"  # waits behind another phone of the same lead
    SCHEDULED = "scheduled"  # waits for next_dial_at
    LEASED = "leased"  # claimed by a node, which will dial it before the lease ends
    DIALING = "dialing"  # an attempt is in flight
    DONE = "done"  # reached: no more attempts needed
    EXHAUSTED = "exhausted"  # retry rules allow no more attempts
    BLOCKED = "blocked"  # a do-not-call entry stopped it: never dialled again in this campaign
    SWITCHED = "switched"  # too many ineffective attempts: the lead goes to another channel


@dataclass(frozen=True, slots=True)
class DuePhone:
    """A phone claimed for dialing, with what is needed to dial it."""

    phone_id: int
    lead_id: int
    campaign_id: int
    number: str  # E.164
    phone_type: PhoneType
    lead_name: str
    time_zone: str | None
    attempts: int  # attempts already made on this phone
    lead_attempts: int  # attempts already made on the whole lead
    next_phone_id: int | None  # the lead's next phone in order that is on standby
    lease_until: datetime
    # The customer's preferred calling time, local to time_zone (start > end crosses midnight).
    call_window: tuple[time, time] | None = None
    fields: Mapping[str, str] = field(default_factory=dict)  # the lead's custom fields
    external_id: str | None = None  # the lead's id in the customer's CRM
    # a preview dial: the agent who dialled it gets the answered call (not the queue's
    # choice); the member's interface and name, as the agent board knows them
    agent_interface: str | None = None
    agent_name: str = ""


@dataclass(frozen=True, slots=True)
class NewAttempt:
    """Written before the Originate is sent: the attempt exists even if we crash next."""

    attempt_id: uuid.UUID
    campaign_id: int
    lead_id: int
    phone_id: int
    number: str
    caller_id: str | None
    attempt_number: int  # 1-based, per lead
    node: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Amd:
    """What answering machine detection said of an answered call (docs/amd.md)."""

    status: str  # AMD()'s AMDSTATUS: HUMAN, MACHINE, NOTSURE, HANGUP
    cause: str  # AMDCAUSE, e.g. LONGGREETING-2000-1500, HUMAN-800-800, TOOLONG-5000
    ms: int  # from the answer to the result
    action: str  # agent, hangup or message


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """The final facts of an attempt, written once when it ends."""

    attempt_id: uuid.UUID
    outcome: Outcome
    ended_at: datetime
    originated_at: datetime | None = None
    answered_at: datetime | None = None
    agent_connected_at: datetime | None = None
    ast_reason: int | None = None
    hangup_cause: int | None = None
    agent: str | None = None
    hold_s: float | None = None
    talk_s: float | None = None
    amd: Amd | None = None  # None: no AMD ran (off, or the call was not answered)


@dataclass(frozen=True, slots=True)
class NextDial:
    """What the retry rules decided for the phone after an attempt."""

    phone_id: int
    state: PhoneState
    next_dial_at: datetime | None


@dataclass(frozen=True, slots=True)
class OpenAttempt:
    """An attempt with no end recorded: left over by a crash or a lost connection."""

    attempt_id: uuid.UUID
    campaign_id: int
    phone_id: int
    number: str
    node: str
    created_at: datetime
    originated_at: datetime | None


@dataclass(frozen=True, slots=True)
class DncEntry:
    """One do-not-call entry: a number or a lead, global (campaign None) or one campaign's."""

    entry_id: int
    campaign: str | None
    number: str | None
    lead_id: int | None
    reason: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class DncMatch:
    """A claimed phone a do-not-call entry applies to, and why (as it is recorded)."""

    phone_id: int
    entry_id: int
    by_lead: bool  # the entry names the lead (all its numbers), not this number
    reason: str


@dataclass(frozen=True, slots=True)
class Disposition:
    """An agent's outcome of a call: ``sale``, ``callback``, ``not_interested`` or a code of
    the centre's own, said by the dialplan (a user event), ``dialerd disposition`` or the API."""

    attempt_id: uuid.UUID
    code: str  # lower case, checked by dialerd.dispositions.parse_disposition
    agent: str | None
    note: str
    source: str  # ami, cli or api
    callback_at: datetime | None = None  # a callback's time (code callback only)
    owned: bool = False  # the callback is the agent's own, not anyone's


@dataclass(frozen=True, slots=True)
class RecordedDisposition:
    """A disposition as stored: the newest of an attempt is the one reports use."""

    disposition_id: int
    disposition: Disposition
    created_at: datetime
    act: str = "note"  # what it did to the lead (dialerd.dispositions.Act)
