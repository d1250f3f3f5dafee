"""The keys for customers who call a pool number back (docs/callbacks.md).

``inbound`` in dialerd.yaml holds what every campaign shares (the opt-out key and sounds, and
where unknown callers go); ``callbacks`` in a campaign file holds that campaign's business
name, message and agent hours. Kept apart from dialerd.config so each model gains one field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dialerd.window_settings import (
    DayKey,
    DaySpans,
    Holiday,
    ZoneName,
    check_each_day_once,
    weekly_spans,
)
from dialerd.windows import CallingWindow, Customer, is_open, next_opening

# A sound file name as Playback takes it; no comma, which would split dialplan arguments.
Sound = Annotated[str, Field(pattern=r"^[A-Za-z0-9_/.-]+$", max_length=200)]
QueueName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AgentHours(_Strict):
    """When the campaign's agents take callbacks, in the centre's own time zone."""

    time_zone: ZoneName
    hours: Annotated[
        dict[DayKey, DaySpans],
        Field(min_length=1, json_schema_extra={"additionalProperties": False}),
    ]
    holidays: list[Holiday] = []

    @model_validator(mode="after")
    def _each_day_once(self) -> Self:
        check_each_day_once(self.hours)
        return self

    def open_at(self, at: datetime) -> bool:
        return is_open(self._window(), self._centre(), at)

    def next_open(self, at: datetime) -> datetime | None:
        """The first instant at or after ``at`` when agents take calls (None: never)."""
        return next_opening(self._window(), self._centre(), at)

    def _window(self) -> CallingWindow:
        return CallingWindow(weekly=weekly_spans(self.hours), holidays=frozenset(self.holidays))

    def _centre(self) -> Customer:
        return Customer(zones=(ZoneInfo(self.time_zone),))


class CallbackSettings(_Strict):
    """A campaign's callers: they reach its queue while agents are in, else its message."""

    # who the caller reached; set as DIALERD_BUSINESS on the channel
    business_name: Annotated[str, Field(pattern=r"^[^,\r\n]*$", max_length=80)] = ""
    message: Sound | None = None  # played outside agent hours, names the business
    agent_hours: AgentHours | None = None  # None: whenever an agent is logged in
    queue: QueueName | None = None  # None: the campaign's own queue
    queue_timeout_s: Annotated[float, Field(ge=5, le=3600)] = 300.0
    # a caller who presses inbound.callback_key is dialled at the next opening of agent_hours,
    # and no sooner than this
    callback_delay_s: Annotated[float, Field(ge=0, le=7 * 86_400)] = 0.0
    # a customer's "reply 1" (POST /callbacks, dialerd callback request: docs/followups.md) is
    # met when an agent has them on the line within this of the request
    deadline_s: Annotated[int, Field(ge=10, le=86_400)] = 600


class UnknownCallers(_Strict):
    """Callers dialerd never called: a queue (if given) or the message."""

    queue: QueueName | None = None
    message: Sound = "vm-nobodyavail"
    business_name: Annotated[str, Field(pattern=r"^[^,\r\n]*$", max_length=80)] = ""


class InboundSettings(_Strict):
    enabled: bool = True
    opt_out_key: Annotated[str, Field(pattern=r"^[0-9*]$")] = "9"
    message: Sound = "vm-nobodyavail"  # a campaign's message when it has none of its own
    opt_out_sound: Sound = "removed"  # confirms the number is on the do-not-call list
    opt_out_failed_sound: Sound = "sorry-youre-having-problems"
    key_wait_s: Annotated[float, Field(ge=1, le=30)] = 5.0  # after the message, for a key
    callback_key: Annotated[str | None, Field(pattern=r"^[0-9*]$")] = "1"  # None: not offered
    callback_sound: Sound = "auth-thankyou"  # confirms the callback is booked
    # after the callback key, the prompt asking for a time as four digits HHMM on the
    # caller's own clock (none within key_wait_s: the next opening of the agent hours);
    # Asterisk ships no such prompt, so record one (docs/callbacks.md); null: not asked
    callback_time_sound: Sound | None = None
    unknown: UnknownCallers = UnknownCallers()

    @model_validator(mode="after")
    def _two_keys(self) -> Self:
        if self.callback_key == self.opt_out_key:
            raise ValueError("callback_key and opt_out_key must be different keys")
        return self


__all__ = ["AgentHours", "CallbackSettings", "InboundSettings", "UnknownCallers"]
