"""Customers who call a caller-ID pool number back: who they are and where their call goes.

Pure: the caller's number in E.164 form (:func:`caller_number`), the route for a caller
(:func:`choose_route`) and the channel variables that tell the dialplan snippet
(``config/asterisk/dialerd.conf``, context ``dialerd-inbound``) what to do. The desk that
answers the snippet's user events is :mod:`dialerd.inbound_desk`.

How a call is routed (docs/callbacks.md):

1. the caller is found among every campaign's leads (their phones); the campaign is the one
   whose attempt last called that number, preferring attempts that showed the pool number
   the customer is calling;
2. while that campaign's agent hours are open and an agent of its queue is logged in, the
   call joins its queue with the lead's data as inherited channel variables (screen pop);
3. otherwise the caller hears the campaign's message, which names the business;
4. a caller found nowhere (or a campaign no longer configured) gets ``inbound.unknown``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

import phonenumbers

from dialerd.config import Campaign
from dialerd.inbound_settings import InboundSettings
from dialerd.screen_pop import encoded
from dialerd.windows import customer_for

__all__ = [
    "INBOUND_EVENTS",
    "CallerMatch",
    "InboundOutcome",
    "Route",
    "RouteKind",
    "callback_time",
    "caller_number",
    "choose_route",
    "route_variables",
]

INBOUND_EVENT = "DialerdInbound"  # a call to a pool number asks who is calling
ENDED_EVENT = "DialerdInboundEnded"  # the hangup handler says how it ended
OPT_OUT_EVENT = "DialerdOptOut"  # the caller pressed the opt-out key
CALLBACK_EVENT = "DialerdCallbackRequest"  # the caller pressed the callback key
INBOUND_EVENTS = frozenset({INBOUND_EVENT, ENDED_EVENT, OPT_OUT_EVENT, CALLBACK_EVENT})


class RouteKind(enum.StrEnum):
    QUEUE = "queue"
    MESSAGE = "message"


class InboundOutcome(enum.StrEnum):
    """How an inbound call ended; stored as text in ``inbound_calls.outcome``."""

    QUEUED = "queued"  # waited in the queue, no agent took it (or its end was not seen)
    ANSWERED = "answered"  # an agent took it
    MESSAGE = "message"  # heard the message and pressed nothing
    OPTED_OUT = "opted_out"  # pressed the opt-out key: the number is on the global DNC list
    CALLBACK_REQUESTED = "callback_requested"  # pressed the callback key: the phone is due


@dataclass(frozen=True, slots=True)
class CallerMatch:
    """The lead a caller's number belongs to and the attempt that last called it."""

    lead_id: int
    lead_name: str
    external_id: str | None
    campaign: str
    campaign_id: int
    attempt_id: uuid.UUID | None  # None: the lead was never called
    attempt_number: int | None


@dataclass(frozen=True, slots=True)
class Route:
    kind: RouteKind
    reason: str  # why this route, for the log and the inbound_calls row
    business: str
    message: str
    queue: str | None = None
    queue_timeout_s: float = 300.0


def caller_number(raw: str, called: str) -> str | None:
    """The caller's number in E.164, read as the called pool number's country would dial it.

    None for an anonymous, withheld or invalid caller ID: such a caller is unknown.
    """
    text = raw.strip()
    if not text or not any(ch.isdigit() for ch in text):
        return None
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(called, None))
    except phonenumbers.NumberParseException:
        region = None
    # as dialled in the pool number's country, else international without its + (44...)
    for attempt in (text, f"+{text}"):
        try:
            parsed = phonenumbers.parse(attempt, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None


def choose_route(
    match: CallerMatch | None,
    campaigns: Mapping[str, Campaign],
    agents_in: Mapping[str, int],
    settings: InboundSettings,
    now: datetime,
) -> Route:
    """Where a caller goes; ``agents_in`` is the number of logged-in agents per campaign."""
    campaign = campaigns.get(match.campaign) if match is not None else None
    if campaign is None:
        why = "unknown caller" if match is None else f"campaign {match.campaign} not configured"
        return _unknown(settings, why)
    callbacks = campaign.callbacks
    message = callbacks.message or settings.message
    business = callbacks.business_name
    if callbacks.agent_hours is not None and not callbacks.agent_hours.open_at(now):
        return Route(RouteKind.MESSAGE, "outside agent hours", business, message)
    if agents_in.get(campaign.name, 0) == 0:
        return Route(RouteKind.MESSAGE, "no agent logged in", business, message)
    queue = callbacks.queue or campaign.queue
    return Route(RouteKind.QUEUE, "agents in", business, message, queue, callbacks.queue_timeout_s)


def _unknown(settings: InboundSettings, why: str) -> Route:
    unknown = settings.unknown
    if unknown.queue is not None:
        return Route(RouteKind.QUEUE, why, unknown.business_name, unknown.message, unknown.queue)
    return Route(RouteKind.MESSAGE, why, unknown.business_name, unknown.message)


def route_variables(
    route: Route, match: CallerMatch | None, inbound_id: int, settings: InboundSettings
) -> list[tuple[str, str]]:
    """The channel variables for the snippet, DIALERD_ROUTE last: the dialplan waits for it.

    The ``__`` ones are inherited by the agent's channel, so the agent's phone or CRM shows
    who is calling (screen pop) before anyone speaks.
    """
    variables = [
        ("DIALERD_INBOUND", str(inbound_id)),
        ("DIALERD_MESSAGE", route.message),
        ("DIALERD_OPT_OUT_KEY", settings.opt_out_key),
        ("DIALERD_OPT_OUT_SOUND", settings.opt_out_sound),
        ("DIALERD_OPT_OUT_FAILED_SOUND", settings.opt_out_failed_sound),
        ("DIALERD_KEY_WAIT_S", f"{settings.key_wait_s:g}"),
        ("DIALERD_CALLBACK_KEY", settings.callback_key or ""),
        ("DIALERD_CALLBACK_SOUND", settings.callback_sound),
        ("DIALERD_CALLBACK_TIME_SOUND", settings.callback_time_sound or ""),
        ("__DIALERD_BUSINESS", route.business),
        ("__DIALERD_CALLBACK", str(inbound_id)),
    ]
    if route.queue is not None:
        variables += [
            ("DIALERD_QUEUE", route.queue),
            ("DIALERD_QUEUE_TIMEOUT_S", f"{route.queue_timeout_s:g}"),
        ]
    if match is not None:
        variables += [
            ("__DIALERD_LEAD_ID", str(match.lead_id)),
            ("__DIALERD_LEAD_NAME", encoded(match.lead_name)),
            ("__DIALERD_EXTERNAL_ID", encoded(match.external_id or "")),
            ("__DIALERD_CAMPAIGN", match.campaign),
            ("__DIALERD_ATTEMPT", str(match.attempt_id or "")),
        ]
    return [*variables, ("DIALERD_ROUTE", route.kind.value)]


def callback_time(
    campaign: Campaign, now: datetime, chosen: datetime | None = None
) -> datetime | None:
    """When a caller who asked to be called back is dialled: the time they chose, or the
    next opening of the agent hours at or after it, no sooner than
    ``callbacks.callback_delay_s`` (None: the hours never open)."""
    earliest = now + timedelta(seconds=campaign.callbacks.callback_delay_s)
    if chosen is not None:
        earliest = max(earliest, chosen)
    hours = campaign.callbacks.agent_hours
    return earliest if hours is None else hours.next_open(earliest)


def caller_zone(campaign: Campaign, number: str) -> tzinfo:
    """The zone a caller's HHMM is read in: their number's (the first, for a country of
    several zones), else the campaign's calling-window fallback, else its agent hours'."""
    window = campaign.calling_window
    hours = campaign.callbacks.agent_hours
    fallback = window.fallback_time_zone if window else hours.time_zone if hours else "UTC"
    return customer_for(number, None, fallback).zones[0]


def chosen_time(digits: str, zone: tzinfo, now: datetime) -> datetime | None:
    """The next moment the caller's clock shows HH:MM (four keypad digits), as UTC; None
    for anything else (no digits, a wrong hour or minute): the caller did not choose."""
    if len(digits) != 4 or not digits.isdigit():
        return None
    hour, minute = int(digits[:2]), int(digits[2:])
    if hour > 23 or minute > 59:
        return None
    local = now.astimezone(zone)
    for days in range(3):  # a time already past today is tomorrow's (DST: the day after)
        day = local.date() + timedelta(days=days)
        wall = datetime.combine(day, time(hour, minute), tzinfo=zone)
        at = wall.astimezone(UTC)
        if at > now and at.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
            return at
    return None
