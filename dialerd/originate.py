"""The Originate action for one attempt, as AMI headers. Pure.

The attempt id becomes the channel's Uniqueid (ChannelId), so every event of the call
names the attempt; the Local channel's second half gets `<id>-2`. The dialplan snippet
(config/asterisk/dialerd.conf) reads the DIALERD_* variables.
"""

from __future__ import annotations

import uuid

from dialerd.config import Campaign
from dialerd.domain import DuePhone


def caller_id(number: str | None, name: str | None) -> str | None:
    if number is None:
        return None
    if not name:
        return f"<{number}>"
    clean = name.replace('"', "").replace("\\", "")
    return f'"{clean}" <{number}>'


def originate_headers(
    campaign: Campaign, attempt_id: uuid.UUID, phone: DuePhone, presented: str | None
) -> dict[str, str | list[str]]:
    """`presented`: the caller ID to show the customer (the pool's choice, or the fixed one)."""
    dial = campaign.dial
    headers: dict[str, str | list[str]] = {
        "Channel": dial.trunk.format(number=phone.number),
        "Context": "dialerd-connect",
        "Exten": "s",
        "Priority": "1",
        "Async": "true",
        "Timeout": str(int(dial.ring_timeout_s * 1000)),
        "ChannelId": str(attempt_id),
        "OtherChannelId": f"{attempt_id}-2",
        "Variable": [
            f"DIALERD_ATTEMPT={attempt_id}",
            f"DIALERD_QUEUE={campaign.queue}",
            f"DIALERD_GRACE_S={campaign.safe_harbour.grace_s:g}",
            f"DIALERD_ABANDON_SOUND={campaign.safe_harbour.abandon_sound}",
        ],
    }
    shown = caller_id(presented, dial.caller_name)
    if shown is not None:
        headers["CallerID"] = shown
    return headers
