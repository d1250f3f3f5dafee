from __future__ import annotations

import pytest

from pacing import AbandonLedger, ComplianceWindow, WindowCounts, hour_of

US = ComplianceWindow.US_30_DAYS
UK = ComplianceWindow.UK_24_HOURS


def test_rate_is_abandoned_over_live_answers() -> None:
    counts = WindowCounts(connected=97, abandoned=3)
    assert counts.answered == 100
    assert counts.rate == pytest.approx(0.03)
    assert WindowCounts().rate == 0.0


def test_counts_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        WindowCounts(connected=-1)


def test_hour_of_unix_time() -> None:
    assert hour_of(0.0) == 0
    assert hour_of(7199.9) == 1


def test_totals_cover_the_window_and_nothing_older() -> None:
    ledger = AbandonLedger(UK).record(100, connected=50, abandoned=1)
    ledger = ledger.record(110, connected=40, abandoned=2)
    assert ledger.totals(110) == WindowCounts(90, 3)
    assert ledger.totals(123) == WindowCounts(90, 3)  # hour 100 is the 24th hour back
    assert ledger.totals(124) == WindowCounts(40, 2)


def test_us_window_is_thirty_days() -> None:
    ledger = AbandonLedger(US).record(0, connected=10, abandoned=1)
    assert ledger.totals(719) == WindowCounts(10, 1)
    assert ledger.totals(720) == WindowCounts()


def test_recording_prunes_hours_that_left_the_window() -> None:
    ledger = AbandonLedger(UK).record(0, connected=1).record(100, abandoned=1)
    assert ledger.rows() == ((100, 0, 1),)


def test_same_hour_adds_up() -> None:
    ledger = AbandonLedger(US).record(5, connected=2).record(5, connected=3, abandoned=1)
    assert ledger.rows() == ((5, 5, 1),)


def test_rows_round_trip_and_merge_by_summing() -> None:
    node_a = AbandonLedger(US).record(7, connected=10, abandoned=1)
    node_b = AbandonLedger(US).record(7, connected=5).record(8, abandoned=2)
    merged = node_a.merged(node_b)
    assert merged.rows() == ((7, 15, 1), (8, 0, 2))
    assert AbandonLedger.from_rows(US, merged.rows()) == merged
