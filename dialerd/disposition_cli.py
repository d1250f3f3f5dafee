"""`dialerd disposition ATTEMPT_ID CODE`: record an agent's outcome of a call by hand.

The same check and the same store method as the AMI user event (dialerd.dispositions); an
unknown attempt id is refused with exit code 1 and nothing is stored.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

from dialerd.app import database_url as build_url
from dialerd.config import load_main_config
from dialerd.dispositions import parse_disposition
from dialerd.domain import Disposition, RecordedDisposition
from dialerd.storage import PgStore
from dialerd.storage.dispositions import PgDispositions

__all__ = ["add_command"]

Command = Callable[[argparse.Namespace], int]
MakeCommand = Callable[[str, str, Command], argparse.ArgumentParser]


def add_command(make: MakeCommand) -> None:
    """Register `disposition`; ``make(name, help, handler)`` adds a command with ``-c``."""
    command = make("disposition", "record an agent's outcome of a call (e.g. sale)", cmd_record)
    command.add_argument("attempt_id", metavar="ATTEMPT_ID")
    command.add_argument("code", metavar="CODE", help="sale, callback, not_interested, ...")
    command.add_argument("--agent", help="who handled the call")
    command.add_argument("--note", default="", help="free text kept with it")
    command.add_argument(
        "--at", help="callback: when, ISO 8601 with its offset (2026-12-03T15:00:00+00:00)"
    )
    command.add_argument(
        "--owned", action="store_true", help="callback: the agent's own (needs --agent)"
    )


def cmd_record(args: argparse.Namespace) -> int:
    owner = "agent" if args.owned else None
    disposition = parse_disposition(
        args.attempt_id, args.code, args.agent, args.note, "cli", callback_at=args.at, owner=owner
    )
    config = load_main_config(args.config)
    url = build_url(config.database.url, config.database.reveal())
    recorded = asyncio.run(_record_once(url, disposition))
    agent = f" by {disposition.agent}" if disposition.agent else ""
    print(
        f"attempt {disposition.attempt_id}: disposition {disposition.code}{agent} recorded "
        f"(#{recorded.disposition_id}){_done(recorded.act)}"
    )
    return 0


def _done(act: str) -> str:
    return {
        "close": ": the lead is closed",
        "callback": ": callback booked",
        "dnc": ": the number is on the global do-not-call list",
        "wrong_number": ": that phone is stopped, the lead's next one goes on",
    }.get(act, "")


async def _record_once(url: str, disposition: Disposition) -> RecordedDisposition:
    store = PgStore(url, pool_size=1)
    try:
        await store.require_head()
        return await PgDispositions(store).record(disposition)
    finally:
        await store.close()
