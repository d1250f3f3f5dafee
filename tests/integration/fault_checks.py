"""What every fault test checks afterwards, from PostgreSQL and from Asterisk's own CDR.

Lost: an Originate Asterisk saw (a CDR row of a dialled channel to one of the test's
numbers) without an attempt row carrying an outcome, or an attempt left without one.
Duplicated: an attempt with more than one CDR row (originated twice), or a phone dialled
again sooner than the retry delay of its previous attempt's outcome.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.integration.daemon import query
from tests.integration.lab import Lab
from tests.integration.test_campaign_lab import number_of, when

# The delays of tests.integration.daemon.CAMPAIGN (retry_s for the outcomes it sets) and
# dialerd's defaults for the others: a phone must not be dialled again sooner.
DEFAULT_DELAY_S = {"cancelled": 60, "unknown": 3600, "machine": 4 * 3600}
SET_BY_CAMPAIGN = ("busy", "no_answer", "congestion", "abandoned", "failed")


def retry_delay_s(outcome: str, retry_s: int) -> float:
    return float(retry_s) if outcome in SET_BY_CAMPAIGN else DEFAULT_DELAY_S[outcome]


async def all_attempts(database: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await query(database, "SELECT * FROM call_attempts")]


def cdr_time(row: dict[str, str], key: str) -> datetime:
    return when(row[key]).replace(tzinfo=UTC)


def dialled_rows(lab: Lab, numbers: set[str], since: datetime) -> list[dict[str, str]]:
    """CDR rows of the dialled (;1) half of a customer call to one of `numbers` since then."""
    return [
        row
        for row in lab.cdr_rows()
        if row["channel"].startswith("Local/")
        and "@" in row["channel"]
        and number_of(row["channel"]) in numbers
        and not row["uniqueid"].endswith("-2")
        and cdr_time(row, "start") >= since - timedelta(seconds=1)
    ]


@dataclass
class Tally:
    lost: list[str]
    duplicated: list[str]

    def summary(self, label: str, runs: int) -> str:
        return f"{label}: runs={runs} lost={len(self.lost)} duplicated={len(self.duplicated)}"


def tally(lab: Lab, attempts: list[dict[str, Any]], since: datetime, retry_s: int) -> Tally:
    numbers = {a["number"] for a in attempts}
    rows = dialled_rows(lab, numbers, since)
    by_attempt: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_attempt[row["uniqueid"]].append(row)
    ended = {str(a["attempt_id"]) for a in attempts if a["outcome"] is not None}
    lost = sorted(set(by_attempt) - ended)
    lost += [str(a["attempt_id"]) for a in attempts if a["outcome"] is None]
    duplicated = [f"{i}: {len(r)} CDR rows" for i, r in by_attempt.items() if len(r) > 1]
    duplicated += early_redials(attempts, retry_s)
    return Tally(sorted(set(lost)), duplicated)


def early_redials(attempts: list[dict[str, Any]], retry_s: int) -> list[str]:
    """Attempts made sooner after the phone's previous attempt than that one's delay."""
    by_phone: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for attempt in attempts:
        by_phone[attempt["phone_id"]].append(attempt)
    early = []
    for phone_attempts in by_phone.values():
        phone_attempts.sort(key=lambda a: a["created_at"])
        for before, after in itertools.pairwise(phone_attempts):
            if before["ended_at"] is None or before["outcome"] is None:
                early.append(f"{after['attempt_id']}: dialled while {before['attempt_id']} open")
                continue
            delay = timedelta(seconds=retry_delay_s(before["outcome"], retry_s) - 1)
            if after["created_at"] < before["ended_at"] + delay:
                early.append(
                    f"{after['attempt_id']}: {after['created_at']} after {before['outcome']}"
                    f" ended {before['ended_at']}"
                )
    return early


def write_summary(directory: Path, line: str) -> None:
    """Kept next to the test's files, so it is there whether or not pytest shows output."""
    print(line)
    (directory / "summary.txt").write_text(line + "\n")


def log_events(text: str, event: str) -> list[dict[str, Any]]:
    """The daemon's JSON log lines of one event, in order."""
    return [json.loads(line) for line in text.splitlines() if f'"{event}"' in line]
