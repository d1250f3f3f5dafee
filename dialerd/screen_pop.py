"""Screen pop: who the agent is about to talk to, told to Asterisk and to the CRM. Pure.

Every Originate carries the lead's id, name and CRM id, the attempt id and the campaign, plus the
lead fields the campaign's ``screen_pop.fields`` names, as inheritable channel variables
(``__`` prefix): Asterisk copies them to every channel the call creates, the agent's leg in
Queue() included, where a softphone integration reads them through AMI or AGI. The dialplan
snippet sets the customer channel's caller name to the lead's name before Queue(), so the
agent's phone shows it. When ``screen_pop.webhook`` is on, the moment an agent answers is
also written to the follow-up outbox as a ``call_connected`` event (docs/agents.md).

A value is percent-encoded before it becomes a channel variable: Asterisk splits an
Originate's ``Variable`` header at commas, and its dialplan gives meaning to ``$ { } ( ) ,
| ^ " '`` and more. Every ASCII character other than letters, digits, space and ``- . _ ~``
becomes ``%XX`` (UTF-8), as do control and separator characters; others (Cyrillic, accents)
stay as they are. ``URIDECODE()`` in the dialplan and any URL decoder (Python's
``urllib.parse.unquote``, JavaScript's ``decodeURIComponent``) give the value back. A
value longer than :data:`MAX_VALUE_BYTES` once encoded is cut there (AMI reads a line of
at most 1024 bytes); the webhook always carries the whole value.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from dialerd.calltrack import Call

MAX_VALUE_BYTES = 200
FIELD_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,39}$"
PREFIX = "__DIALERD_"  # inherited by every channel the call creates
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -._~")


def _field_name(name: str) -> str:
    if re.fullmatch(FIELD_NAME_PATTERN, name) is None:
        raise ValueError(
            f"{name!r} cannot name a channel variable (DIALERD_FIELD_<name>): use letters,"
            " digits and _, starting with a letter, up to 40, and name the lead file's column so"
        )
    return name


FieldName = Annotated[
    str,
    AfterValidator(_field_name),
    WithJsonSchema({"type": "string", "pattern": FIELD_NAME_PATTERN}),
]


class ScreenPopSettings(BaseModel):
    """The `screen_pop` key of a campaign file (docs/agents.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    fields: Annotated[list[FieldName], Field(max_length=20)] = Field(
        default_factory=list,
        description="lead custom fields (columns of the lead import) the agent's channel carries",
    )
    webhook: bool = Field(
        default=False,
        description="write a call_connected event, sent like the campaign's followups",
    )

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("fields must not name a field twice")
        return self


def encoded(value: str) -> str:
    """``value`` percent-encoded for a channel variable, cut to :data:`MAX_VALUE_BYTES`."""
    out: list[str] = []
    size = 0
    for char in value:
        piece = char if _plain(char) else "".join(f"%{b:02X}" for b in char.encode())
        size += len(piece.encode())
        if size > MAX_VALUE_BYTES:
            break
        out.append(piece)
    return "".join(out)


def _plain(char: str) -> bool:
    if char.isascii():
        return char in _PLAIN
    return unicodedata.category(char)[0] not in "CZ"


@dataclass(frozen=True, slots=True)
class Lead:
    """What the screen pop tells of a lead (from the claimed phone)."""

    lead_id: int
    name: str
    external_id: str | None
    fields: Mapping[str, str]


def channel_variables(
    settings: ScreenPopSettings, campaign: str, lead: Lead
) -> list[tuple[str, str]]:
    """(name, encoded value) pairs for the Originate; a chosen field the lead lacks is empty.
    The names are those an inbound call's agent gets (dialerd.inbound); the attempt id is
    ``__DIALERD_ATTEMPT``, which the Originate sets anyway."""
    pairs = [
        (f"{PREFIX}LEAD_ID", str(lead.lead_id)),
        (f"{PREFIX}LEAD_NAME", encoded(lead.name)),
        (f"{PREFIX}EXTERNAL_ID", encoded(lead.external_id or "")),
        (f"{PREFIX}CAMPAIGN", campaign),
    ]
    for name in settings.fields:
        pairs.append((f"{PREFIX}FIELD_{name}", encoded(lead.fields.get(name, ""))))
    return pairs


@dataclass(frozen=True, slots=True)
class Connected:
    """An agent answered a call of a campaign with ``screen_pop.webhook``: tell the CRM."""

    attempt_id: uuid.UUID
    campaign: str
    agent: str
    hold_s: float | None
    connected_at: datetime
    fields: tuple[str, ...] = ()  # the campaign's screen_pop.fields when it connected


def connected_event(campaign: str, settings: ScreenPopSettings, call: Call) -> Connected | None:
    """The event to write for a call an agent has just answered, if the campaign wants one."""
    if not settings.webhook or call.agent_connected_at is None:
        return None
    return Connected(
        attempt_id=call.attempt_id,
        campaign=campaign,
        agent=call.agent or "?",
        hold_s=call.hold_s,
        connected_at=call.agent_connected_at,
        fields=tuple(settings.fields),
    )


def connected_key(attempt_id: uuid.UUID) -> str:
    """One event per attempt: a second AgentConnect (a transfer) finds it written."""
    return f"call_connected:{attempt_id}"


def connected_payload(event: Connected, context: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a ``call_connected`` event; ``context`` is the attempt's row."""
    fields: Mapping[str, str] = context["fields"] or {}
    return {
        "event": "call_connected",
        "id": connected_key(event.attempt_id),
        "campaign": context["campaign"],
        "lead": {
            "id": context["lead_id"],
            "external_id": context["external_id"],
            "name": context["lead_name"],
            "time_zone": context["time_zone"],
            "fields": dict(fields),
        },
        "screen_pop": {name: fields.get(name, "") for name in event.fields},
        "number": context["number"],
        "attempt": {"id": str(event.attempt_id), "number": context["attempt_number"]},
        "agent": {"name": event.agent, "hold_s": event.hold_s},
        "occurred_at": event.connected_at.isoformat(),
    }


__all__ = [
    "MAX_VALUE_BYTES",
    "Connected",
    "Lead",
    "ScreenPopSettings",
    "channel_variables",
    "connected_event",
    "connected_key",
    "connected_payload",
    "encoded",
]
