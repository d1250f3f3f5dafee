"""The true outcome of an ``unknown`` attempt, read from Asterisk's CDR (dialerd.reconcile)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from dialerd.domain import Outcome
from dialerd.reconcile import CdrRow, Reconciled, Reconciler, reconcile, true_outcome

START = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
AGENT = "Local/agent01@lab-agents-0000002a;1"


def row(uniqueid: str, disposition: str, dstchannel: str = "") -> CdrRow:
    answer = START + timedelta(seconds=3) if disposition == "ANSWERED" else None
    return CdrRow(uniqueid, disposition, dstchannel, START, answer, START + timedelta(seconds=9))


@pytest.mark.parametrize(
    ("disposition", "dstchannel", "outcome"),
    [
        ("BUSY", "", Outcome.BUSY),
        ("NO ANSWER", "", Outcome.NO_ANSWER),
        ("CONGESTION", "", Outcome.CONGESTION),
        ("FAILED", "", Outcome.FAILED),
        ("ANSWERED", AGENT, Outcome.CONNECTED),
        ("ANSWERED", "", Outcome.ABANDONED),
        ("answered", " ", Outcome.ABANDONED),
        ("", "", None),
        ("CANCEL", "", None),
    ],
)
def test_a_cdr_disposition_proves_this_outcome(
    disposition: str, dstchannel: str, outcome: Outcome | None
) -> None:
    assert true_outcome(row("x", disposition, dstchannel)) is outcome


def test_only_attempts_with_a_cdr_row_are_settled_with_asterisks_times() -> None:
    connected, busy, missing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows = [row(str(connected), "ANSWERED", AGENT), row(str(busy), "BUSY"), row("other", "BUSY")]
    settled = reconcile([connected, busy, missing], rows)
    assert settled == [
        Reconciled(connected, Outcome.CONNECTED, START + timedelta(seconds=9), rows[0].answer),
        Reconciled(busy, Outcome.BUSY, START + timedelta(seconds=9), None),
    ]


def test_of_several_rows_the_one_proving_most_wins() -> None:
    attempt = uuid.uuid4()
    rows = [row(str(attempt), "NO ANSWER"), row(str(attempt), "ANSWERED", AGENT)]
    assert [s.outcome for s in reconcile([attempt], rows)] == [Outcome.CONNECTED]


class FakeStore:
    """Attempts and CDRs in memory; records what was settled, once per attempt."""

    def __init__(self, unknown: list[uuid.UUID], rows: list[CdrRow]) -> None:
        self.unknown, self.rows = unknown, rows
        self.settled: list[Reconciled] = []
        self.since: list[datetime] = []

    async def unknown_attempts(self, since: datetime) -> list[uuid.UUID]:
        self.since.append(since)
        return list(self.unknown)

    async def cdr_rows(self, attempt_ids: Sequence[uuid.UUID]) -> list[CdrRow]:
        wanted = {str(a) for a in attempt_ids}
        return [r for r in self.rows if r.uniqueid in wanted]

    async def record_reconciled(self, settled: Sequence[Reconciled], now: datetime) -> int:
        self.settled.extend(settled)
        done = {s.attempt_id for s in settled}
        self.unknown = [a for a in self.unknown if a not in done]
        return len(settled)


async def test_a_round_settles_what_the_cdr_proves_and_the_next_finds_nothing_new() -> None:
    late, gone = uuid.uuid4(), uuid.uuid4()
    store = FakeStore([late, gone], [row(str(late), "ANSWERED", AGENT)])
    reconciler = Reconciler(store, lambda: START, lookback_h=6)
    assert await reconciler.once() == 1
    assert await reconciler.once() == 0  # the one without a CDR row stays unknown
    assert [s.attempt_id for s in store.settled] == [late]
    assert store.since == [START - timedelta(hours=6)] * 2
    assert reconciler.reconciled == 1
