"""The Originate action for one attempt, as AMI headers. Pure.

The attempt id becomes the channel's Uniqueid (ChannelId), so every event of the call
names the attempt; the Local channel's second half gets `<id>-2`. The dialplan snippet
(config/asterisk/dialerd.conf) reads the DIALERD_* variables.

Of a lead, Asterisk gets its E.164 number in the dial string and the screen pop's channel
variables (dialerd.screen_pop: id, name, CRM id, the campaign's chosen fields), each value
percent-encoded there, so a name with a comma is carried, not refused. Every value is
checked before it is sent, and a value that could change the action is refused, never
cleaned up: CR, LF or NUL anywhere (a second header, or a second action), and in a
channel variable also a comma (Asterisk splits `Variable:` at commas, so `x,OTHER=1` would
set a second variable). A refused Originate is never sent; the attempt ends as `failed`
with the reason. (The AMI codec refuses CR, LF and NUL as well, for any action.)
"""

from __future__ import annotations

import re
import uuid

from dialerd.amd_settings import AmdSettings
from dialerd.config import E164_PATTERN, Campaign
from dialerd.domain import DuePhone
from dialerd.errors import DialerdError
from dialerd.screen_pop import Lead, channel_variables

_BREAKS_A_HEADER = re.compile(r"[\r\n\0]")
_BREAKS_A_VARIABLE = re.compile(r"[\r\n\0,]")


class UnsafeOriginate(DialerdError):
    """A value of the Originate could change what Asterisk is asked to do: not sent."""


def checked_number(number: str) -> str:
    """The number, if it is E.164 (the import and the database keep it so; this is the
    last check before it becomes part of a dial string)."""
    if re.fullmatch(E164_PATTERN, number) is None:
        raise UnsafeOriginate(f"number {number!r} is not E.164: not dialled")
    return number


def channel_variable(name: str, value: str) -> str:
    if _BREAKS_A_VARIABLE.search(value) or _BREAKS_A_VARIABLE.search(name):
        raise UnsafeOriginate(f"channel variable {name} holds CR, LF, NUL or a comma: refused")
    return f"{name}={value}"


def checked_header(name: str, value: str) -> str:
    if _BREAKS_A_HEADER.search(value):
        raise UnsafeOriginate(f"Originate header {name} holds CR, LF or NUL: refused")
    return value


def caller_id(number: str | None, name: str | None) -> str | None:
    if number is None:
        return None
    if not name:
        return f"<{number}>"
    clean = name.replace('"', "").replace("\\", "")
    return f'"{clean}" <{number}>'


def screen_pop_variables(campaign: Campaign, phone: DuePhone) -> list[str]:
    lead = Lead(phone.lead_id, phone.lead_name, phone.external_id, phone.fields)
    pairs = channel_variables(campaign.screen_pop, campaign.name, lead)
    return [channel_variable(name, value) for name, value in pairs]


def amd_variables(amd: AmdSettings, drops_left: bool) -> list[str]:
    """The snippet's AMD variables; none when AMD is off. Without `drops_left` (the lead had
    its voicemail drops of the day) a `message` action becomes `hangup`."""
    if not amd.enabled:
        return []

    def action(chosen: str) -> str:
        return "hangup" if chosen == "message" and not drops_left else chosen

    pairs = [
        ("DIALERD_AMD", amd.amd_argument()),
        ("DIALERD_AMD_MACHINE", action(amd.machine)),
        ("DIALERD_AMD_NOTSURE", action(amd.notsure)),
    ]
    if amd.message is not None:
        pairs.append(("DIALERD_AMD_MESSAGE", amd.message))
    return [channel_variable(name, value) for name, value in pairs]


def originate_headers(
    campaign: Campaign,
    attempt_id: uuid.UUID,
    phone: DuePhone,
    presented: str | None,
    drops_left: bool = True,
) -> dict[str, str | list[str]]:
    """`presented`: the caller ID to show the customer (the pool's choice, or the fixed one);
    `drops_left`: whether the lead may get another voicemail drop today (amd.message).

    Raises :class:`UnsafeOriginate` for a value that must not be sent (see the module)."""
    dial = campaign.dial
    headers: dict[str, str | list[str]] = {
        "Channel": checked_header(
            "Channel", dial.trunk.format(number=checked_number(phone.number))
        ),
        "Context": "dialerd-connect",
        "Exten": "s",
        "Priority": "1",
        "Async": "true",
        "Timeout": str(int(dial.ring_timeout_s * 1000)),
        "ChannelId": str(attempt_id),
        "OtherChannelId": f"{attempt_id}-2",
        "Variable": [
            channel_variable("__DIALERD_ATTEMPT", str(attempt_id)),  # the agent's leg too
            channel_variable("DIALERD_QUEUE", campaign.queue),
            channel_variable("DIALERD_GRACE_S", f"{campaign.safe_harbour.grace_s:g}"),
            channel_variable("DIALERD_ABANDON_SOUND", campaign.safe_harbour.abandon_sound),
            *amd_variables(campaign.amd, drops_left),
            *screen_pop_variables(campaign, phone),
            *agent_variables(phone),
        ],
    }
    shown = caller_id(presented, dial.caller_name)
    if shown is not None:
        headers["CallerID"] = checked_header("CallerID", shown)
    return headers


def agent_variables(phone: DuePhone) -> list[str]:
    """For a call meant for one agent: the snippet dials that agent instead of the queue."""
    if phone.agent_interface is None:
        return []
    return [
        channel_variable("DIALERD_AGENT", phone.agent_interface),
        # inherited by the agent's leg, where the snippet reports the connect
        channel_variable("__DIALERD_AGENT_NAME", phone.agent_name or phone.agent_interface),
    ]
