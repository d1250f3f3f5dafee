"""`dialerd dnc add|remove|import|check`: edit and query the do-not-call lists.

Without ``--campaign`` the global list is meant: its entries stop dials in every campaign.
An entry takes effect for the next dial batch on every node once the command returns (each
runner checks the lists in PostgreSQL right before every batch it dials).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from dialerd.app import database_url as build_url
from dialerd.config import load_campaigns, load_main_config
from dialerd.dnc_rows import DncRequest, InvalidEntry, parse_expiry, parse_lead_id, parse_number
from dialerd.dnc_rows import read_csv as read_dnc_csv
from dialerd.domain import DncEntry
from dialerd.errors import ConfigError
from dialerd.storage.dnc import PgDncLists

EXIT_INVALID = 1
T = TypeVar("T")
Command = Callable[[argparse.Namespace], int]
MakeCommand = Callable[[str, str, Command], argparse.ArgumentParser]


def add_commands(make: MakeCommand) -> None:
    """Register the subcommands; ``make(name, help, handler)`` adds one with ``-c``."""
    add = make("add", "add numbers or leads to a do-not-call list", cmd_add)
    _selectors(add)
    add.add_argument("--expires-at", default="", help="ISO date or time; default: never")
    add.add_argument("--reason", default="", help="why (kept with the entry and each block)")
    _selectors(make("remove", "remove numbers or leads from a do-not-call list", cmd_remove))
    imp = make("import", "add the entries of a CSV file (number or lead_id a row)", cmd_import)
    imp.add_argument("file", type=Path)
    _list_options(imp)
    check = make("check", "show the entries in force for a number or a lead", cmd_check)
    check.add_argument("number", nargs="?")
    check.add_argument("--lead-id")
    check.add_argument("--region", help="region of a number written without +country code")


def _selectors(command: argparse.ArgumentParser) -> None:
    command.add_argument("numbers", nargs="*", metavar="NUMBER")
    command.add_argument("--lead-id", action="append", default=[], metavar="ID")
    _list_options(command)


def _list_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--campaign", help="the campaign's list (default: the global list)")
    command.add_argument("--region", help="region of numbers written without +country code")


def _url_and_region(args: argparse.Namespace) -> tuple[str, str | None]:
    config = load_main_config(args.config)
    region: str | None = args.region
    if region is None and getattr(args, "campaign", None):
        try:
            known = load_campaigns(args.config.parent / config.campaigns_dir, config.trunks)
        except ConfigError:  # a broken campaign file must never hold up a do-not-call request
            known = {}
        region = known[args.campaign].region if args.campaign in known else None
    return build_url(config.database.url, config.database.reveal()), region


def _requests(args: argparse.Namespace, region: str | None, now: datetime) -> list[DncRequest]:
    reason = getattr(args, "reason", "")
    expires = parse_expiry(getattr(args, "expires_at", ""), now)
    numbers = [parse_number(n, region) for n in args.numbers]
    leads = [parse_lead_id(i) for i in args.lead_id]
    if not numbers and not leads:
        raise InvalidEntry("name at least one NUMBER or --lead-id")
    return [DncRequest(n, None, reason, expires) for n in numbers] + [
        DncRequest(None, i, reason, expires) for i in leads
    ]


def _list_name(campaign: str | None) -> str:
    return (
        f"campaign {campaign!r}'s do-not-call list" if campaign else "the global do-not-call list"
    )


def _fail(message: str) -> int:
    print(f"dialerd: {message}", file=sys.stderr)
    return EXIT_INVALID


def cmd_add(args: argparse.Namespace) -> int:
    url, region = _url_and_region(args)
    try:
        requests = _requests(args, region, datetime.now(UTC))
    except InvalidEntry as exc:
        return _fail(str(exc))
    missing = asyncio.run(
        _with_lists(
            url,
            lambda lists: lists.missing_leads(
                [r.lead_id for r in requests if r.lead_id is not None]
            ),
        )
    )
    if missing:
        return _fail(f"no lead with id {', '.join(map(str, sorted(missing)))}")
    added = asyncio.run(_with_lists(url, lambda lists: lists.add(args.campaign, requests)))
    print(f"added {added} to {_list_name(args.campaign)}; in force for every node's next dial")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    url, region = _url_and_region(args)
    try:
        requests = _requests(args, region, datetime.now(UTC))
    except InvalidEntry as exc:
        return _fail(str(exc))
    removed = asyncio.run(_with_lists(url, lambda lists: lists.remove(args.campaign, requests)))
    print(f"removed {removed} from {_list_name(args.campaign)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    url, region = _url_and_region(args)
    try:
        rows = list(read_dnc_csv(args.file, region, datetime.now(UTC)))
    except (InvalidEntry, OSError, UnicodeDecodeError) as exc:
        return _fail(str(exc))
    good = [(n, r) for n, r in rows if isinstance(r, DncRequest)]
    bad = [(n, str(r)) for n, r in rows if isinstance(r, InvalidEntry)]
    lead_ids = [r.lead_id for _, r in good if r.lead_id is not None]
    missing = asyncio.run(_with_lists(url, lambda lists: lists.missing_leads(lead_ids)))
    bad += [(n, f"no lead with id {r.lead_id}") for n, r in good if r.lead_id in missing]
    requests = [r for _, r in good if r.lead_id not in missing]
    if requests:
        asyncio.run(_with_lists(url, lambda lists: lists.add(args.campaign, requests)))
    for row, reason in sorted(bad):
        print(f"{args.file}: row {row}: {reason}", file=sys.stderr)
    print(
        f"{args.file}: {len(requests)} entries added to {_list_name(args.campaign)}, "
        f"{len(bad)} rows rejected"
    )
    return EXIT_INVALID if bad else 0


def cmd_check(args: argparse.Namespace) -> int:
    url, region = _url_and_region(args)
    try:
        number = parse_number(args.number, region) if args.number else None
        lead_id = parse_lead_id(args.lead_id) if args.lead_id else None
    except InvalidEntry as exc:
        return _fail(str(exc))
    if (number is None) == (lead_id is None):
        return _fail("give a NUMBER or --lead-id")
    now = datetime.now(UTC)
    entries = asyncio.run(_with_lists(url, lambda lists: lists.entries_for(number, lead_id, now)))
    subject = number or f"lead {lead_id}"
    if not entries:
        print(f"{subject}: not on any do-not-call list")
    for entry in entries:
        print(f"{subject}: {describe(entry)}")
    return 0


def describe(entry: DncEntry) -> str:
    expires = entry.expires_at.isoformat() if entry.expires_at else "never"
    reason = f": {entry.reason}" if entry.reason else ""
    return (
        f"on {_list_name(entry.campaign)} (entry {entry.entry_id}, added "
        f"{entry.created_at.isoformat()}, expires {expires}){reason}"
    )


async def _with_lists(url: str, work: Callable[[PgDncLists], Awaitable[T]]) -> T:
    lists = PgDncLists(url)
    try:
        return await work(lists)
    finally:
        await lists.close()


__all__ = ["add_commands", "describe"]
