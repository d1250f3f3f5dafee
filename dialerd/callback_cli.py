"""`dialerd callback request CAMPAIGN --lead ID | --phone NUMBER`: the customer replied "1".

The same check (dialerd.callbacks.parse_ask) and the same store method as ``POST /callbacks``;
the running daemon dials the callback at its next tick (docs/followups.md). A lead that
already has an open request keeps it: the command says so and stores nothing new.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from dialerd.app import database_url as build_url
from dialerd.callbacks import CallbackAsk, deadline_of, parse_ask, reopens_for
from dialerd.config import Campaign, load_campaigns, load_main_config
from dialerd.storage import PgStore
from dialerd.storage.callbacks import CallbackRecord, PgCallbacks

__all__ = ["add_commands"]

Command = Callable[[argparse.Namespace], int]
MakeCommand = Callable[[str, str, Command], argparse.ArgumentParser]


def add_commands(make: MakeCommand) -> None:
    """Register `request`; ``make(name, help, handler)`` adds a command with ``-c``."""
    command = make("request", "the customer asked to be called back: schedule it", cmd_request)
    command.add_argument("campaign", metavar="CAMPAIGN")
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--lead", type=int, help="the lead's id (a webhook's lead.id)")
    which.add_argument("--phone", help="the number the customer replied from (E.164)")


def cmd_request(args: argparse.Namespace) -> int:
    config = load_main_config(args.config)
    campaigns = load_campaigns(args.config.parent / config.campaigns_dir)
    body = {"campaign": args.campaign, "lead_id": args.lead, "phone": args.phone}
    body = {key: value for key, value in body.items() if value is not None}
    ask = parse_ask(body, "cli", lambda name: deadline_of(campaigns.get(name)))
    url = build_url(config.database.url, config.database.reveal())
    record = asyncio.run(_request_once(url, ask, campaigns[ask.campaign]))
    view = record.document()
    state = "recorded" if record.created else "already open"
    print(
        f"callback #{view['id']} for lead {view['lead_id']} ({view['number']}) {state}: "
        f"due {view['due_at']}, deadline {view['deadline']}"
    )
    return 0


async def _request_once(url: str, ask: CallbackAsk, campaign: Campaign) -> CallbackRecord:
    store = PgStore(url, pool_size=1)
    try:
        await store.require_head()
        now = datetime.now(UTC)
        events = campaign.followups is not None
        return await PgCallbacks(store).request(ask, now, reopens_for(campaign), events)
    finally:
        await store.close()
