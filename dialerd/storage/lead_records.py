"""What a lead import hands to storage, and the rule that folds two records of one lead.

The same rule merges duplicates within a file and a file's lead into the campaign's existing
one (:mod:`dialerd.storage.lead_loader`): numbers are united in order, and the later record's
non-empty values win (custom fields key by key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time

from dialerd.domain import PhoneType

__all__ = ["LeadRecord", "LoadCounts", "merge_duplicates", "merge_leads"]


@dataclass(frozen=True, slots=True)
class LeadRecord:
    """One lead to load, its numbers already E.164 and unique, in dialing order (at least one)."""

    phones: tuple[tuple[str, PhoneType], ...]
    external_id: str | None = None
    name: str = ""
    time_zone: str | None = None
    call_window: tuple[time, time] | None = None
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[bool, str]:
        """Who this is: the external id, or without one, the first number."""
        if self.external_id:
            return True, self.external_id
        return False, self.phones[0][0]


@dataclass(frozen=True, slots=True)
class LoadCounts:
    new_leads: int = 0  # leads created
    merged: int = 0  # records folded into an earlier record or into a lead the campaign had
    phones_added: int = 0  # numbers added, to new and to existing leads

    def __add__(self, other: LoadCounts) -> LoadCounts:
        return LoadCounts(
            self.new_leads + other.new_leads,
            self.merged + other.merged,
            self.phones_added + other.phones_added,
        )


def merge_leads(first: LeadRecord, later: LeadRecord) -> LeadRecord:
    """One lead from two records: numbers united in order, the later record's values winning."""
    known = {number for number, _ in first.phones}
    return LeadRecord(
        phones=first.phones + tuple(p for p in later.phones if p[0] not in known),
        external_id=first.external_id or later.external_id,
        name=later.name or first.name,
        time_zone=later.time_zone or first.time_zone,
        call_window=later.call_window or first.call_window,
        fields={**first.fields, **later.fields},
    )


def merge_duplicates(leads: Iterable[LeadRecord]) -> tuple[list[LeadRecord], int]:
    """Records of the same lead (same :attr:`LeadRecord.key`) folded into one, in first-seen
    order; and how many records were folded away."""
    index: dict[tuple[bool, str], int] = {}
    unique: list[LeadRecord] = []
    folded = 0
    for lead in leads:
        at = index.setdefault(lead.key, len(unique))
        if at == len(unique):
            unique.append(lead)
        else:
            unique[at] = merge_leads(unique[at], lead)
            folded += 1
    return unique, folded
