"""Abandon accounting over a compliance window, as counts the daemon can store.

The US rule (FTC Telemarketing Sales Rule) allows 3 % of calls answered by a person to
be abandoned, measured per campaign over a rolling 30 days; Ofcom (UK) measures
abandoned / (live + abandoned) over 24 hours. With `connected` = live answers that
reached an agent, both are `abandoned / (connected + abandoned)`; they differ in the
window (and Ofcom adds an estimate of answering-machine-detection false positives,
which the daemon adds to `abandoned`).

Counts are kept per UTC hour. Hours are integers (`hour_of(epoch_s)`), so a row is
`(hour, connected, abandoned)`; counts only ever add, so rows from several nodes or
from storage merge by summing, and a store can upsert increments
(`... ON CONFLICT (campaign, hour) DO UPDATE SET connected = connected + excluded...`).
The rolling window is the current hour and the hours before it, to the window's length.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

SECONDS_PER_HOUR = 3600


class ComplianceWindow(enum.Enum):
    US_30_DAYS = "us_30_days"
    UK_24_HOURS = "uk_24_hours"

    @property
    def hours(self) -> int:
        return 720 if self is ComplianceWindow.US_30_DAYS else 24


@dataclass(frozen=True, slots=True)
class WindowCounts:
    connected: int = 0  # live answers that reached an agent
    abandoned: int = 0  # live answers no agent took within the grace

    def __post_init__(self) -> None:
        if self.connected < 0 or self.abandoned < 0:
            raise ValueError("counts cannot be negative")

    @property
    def answered(self) -> int:
        return self.connected + self.abandoned

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    def __add__(self, other: WindowCounts) -> WindowCounts:
        return WindowCounts(self.connected + other.connected, self.abandoned + other.abandoned)


Row = tuple[int, int, int]  # (UTC hour number, connected, abandoned)


def hour_of(epoch_s: float) -> int:
    """The hour number of a Unix time (UTC): what a ledger row is keyed by."""
    return int(epoch_s // SECONDS_PER_HOUR)


@dataclass(frozen=True, slots=True)
class AbandonLedger:
    window: ComplianceWindow
    hours: tuple[tuple[int, WindowCounts], ...] = ()  # sorted by hour, one entry per hour

    @classmethod
    def from_rows(cls, window: ComplianceWindow, rows: Iterable[Row]) -> AbandonLedger:
        """Rebuild from stored rows; repeated hours are summed."""
        merged: dict[int, WindowCounts] = {}
        for hour, connected, abandoned in rows:
            merged[hour] = merged.get(hour, WindowCounts()) + WindowCounts(connected, abandoned)
        return cls(window, tuple(sorted(merged.items())))

    def rows(self) -> tuple[Row, ...]:
        return tuple((hour, c.connected, c.abandoned) for hour, c in self.hours)

    def record(self, hour: int, connected: int = 0, abandoned: int = 0) -> AbandonLedger:
        """This ledger with calls added to `hour`, and hours outside the window dropped."""
        rows = (*self.rows(), (hour, connected, abandoned))
        return AbandonLedger.from_rows(self.window, rows).pruned(hour)

    def merged(self, other: AbandonLedger) -> AbandonLedger:
        return AbandonLedger.from_rows(self.window, (*self.rows(), *other.rows()))

    def pruned(self, hour: int) -> AbandonLedger:
        """Without the hours that fell out of the window as of `hour`."""
        first = hour - self.window.hours + 1
        return AbandonLedger(self.window, tuple(e for e in self.hours if e[0] >= first))

    def totals(self, hour: int) -> WindowCounts:
        """Counts over the window that ends with `hour` (hours after it are ignored)."""
        first = hour - self.window.hours + 1
        total = WindowCounts()
        for h, counts in self.hours:
            if first <= h <= hour:
                total = total + counts
        return total
