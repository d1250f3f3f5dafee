"""Leads due, scheduled and exhausted, counted in PostgreSQL for the metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dialerd.probes import LeadCounts
from dialerd.storage import PgStore
from dialerd.storage.lead_counts import PgLeadCounts
from tests.integration.daemon import Dialer, query
from tests.integration.lab import Lab

LEADS = """\
external_id,name,phone,phone2
due1,Due,+380501110001,
due2,Due,+380501110002,+380501110003
later,Later,+380501110004,
spent,Spent,+380501110005,+380501110006
half,Half spent,+380501110007,+380501110008
reached,Reached,+380501110009,
"""


async def test_leads_are_counted_by_where_they_stand(
    lab: Lab, db_url: str, store: PgStore, tmp_path: Path
) -> None:
    dialer = Dialer(lab, db_url, tmp_path, campaign="leadcounts")
    (tmp_path / "leads.csv").write_text(LEADS)
    dialer.import_csv(tmp_path / "leads.csv")
    later = datetime.now(UTC) + timedelta(hours=1)
    await put(db_url, "later", "scheduled", later)
    await put(db_url, "spent", "exhausted")
    await put(db_url, "half", "exhausted", number="+380501110007")
    await put(db_url, "reached", "done")
    campaign_id = await store.ensure_campaign("leadcounts")
    other = await store.ensure_campaign("leadcounts-empty")
    counts = await PgLeadCounts(store).lead_counts([campaign_id, other], datetime.now(UTC))
    # half: its first phone is exhausted, its second still waits on standby
    assert counts == {campaign_id: LeadCounts(due=2, scheduled=1, exhausted=1), other: LeadCounts()}


SET_STATE = """
UPDATE phone_schedule s SET state = $2, next_dial_at = $3
FROM lead_phones p JOIN leads l ON l.id = p.lead_id
WHERE s.phone_id = p.id AND l.external_id = $1 AND ($4::text IS NULL OR p.number = $4)
"""


async def put(
    url: str, lead: str, state: str, at: datetime | None = None, number: str | None = None
) -> None:
    """Move the phones of `lead` (or only `number`) to `state`, due at `at`."""
    await query(url, SET_STATE, lead, state, at, number)
