"""A fixture of known call attempts for the report tests, and for docs/reports.md's examples.

Campaign ``spring`` has four leads; ``autumn`` one (the campaign filter must leave it out):

    lead A1 (Europe/Kyiv, UTC+2)   phone 0 mobile, phone 1 landline
    lead A2 (Europe/Kyiv)          phone 0 mobile: answered once, then three calls unanswered
    lead A3 (America/New_York, -5) phone 0 unknown type: its first call is 03:00 UTC on 1 Dec,
                                   22:00 on 30 Nov for the customer
    lead A4 (no zone: UTC)         phones 0 and 1 mobile, phone 2 landline never dialled

Each attempt below is (lead, phone position, UTC time, outcome, agent, talk seconds); the
attempt number counts the lead's attempts in order. Dispositions: A1's connected call got
``callback`` then ``sale`` (the newest counts), A2's ``not_interested``, A3's second call
``sale``, the autumn connected call ``sale``. A4's last two attempts are a cancelled one and
one still in flight: reports leave both out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from dialerd.storage.connect import plain_dsn

LEADS = {  # external id -> (campaign, time zone, [(number, type)])
    "A1": ("spring", "Europe/Kyiv", [("+380501110001", "mobile"), ("+380441110002", "landline")]),
    "A2": ("spring", "Europe/Kyiv", [("+380501110003", "mobile")]),
    "A3": ("spring", "America/New_York", [("+12125550104", "unknown")]),
    "A4": (
        "spring",
        None,
        [("+380501110005", "mobile"), ("+380501110006", "mobile"), ("+380441110008", "landline")],
    ),
    "B1": ("autumn", "Europe/Kyiv", [("+380501110007", "mobile")]),
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (lead, phone position, created_at UTC, outcome or None in flight, agent, talk_s, dispositions)
ATTEMPTS: Sequence[tuple[str, int, str, str | None, str | None, float | None, tuple[str, ...]]] = (
    ("A1", 0, "2026-11-30 07:00", "no_answer", None, None, ()),
    ("A1", 0, "2026-11-30 15:00", "no_answer", None, None, ()),
    ("A1", 1, "2026-12-01 08:30", "busy", None, None, ()),
    ("A1", 1, "2026-12-01 12:00", "connected", "agent01", 120.0, ("callback", "sale")),
    ("A2", 0, "2026-11-30 07:10", "connected", "agent02", 60.0, ("not_interested",)),
    ("A2", 0, "2026-12-01 07:20", "no_answer", None, None, ()),
    ("A2", 0, "2026-12-01 09:00", "no_answer", None, None, ()),
    ("A2", 0, "2026-12-02 07:00", "no_answer", None, None, ()),
    ("A3", 0, "2026-12-01 03:00", "abandoned", None, None, ()),
    ("A3", 0, "2026-12-01 14:00", "connected", "agent01", 200.0, ("sale",)),
    ("A4", 0, "2026-11-30 09:00", "no_answer", None, None, ()),
    ("A4", 0, "2026-11-30 13:00", "congestion", None, None, ()),
    ("A4", 1, "2026-12-01 09:30", "machine", None, None, ()),
    ("A4", 1, "2026-12-01 10:00", "cancelled", None, None, ()),
    ("A4", 1, "2026-12-01 10:05", None, None, None, ()),
    ("B1", 0, "2026-12-01 08:00", "no_answer", None, None, ()),
    ("B1", 0, "2026-12-01 10:00", "connected", "agent03", 90.0, ("sale",)),
)


async def load(url: str) -> dict[str, list[uuid.UUID]]:
    """Insert the fixture into a migrated, empty database; the attempt ids of each lead."""
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        async with connection.transaction():
            phones = await _leads(connection)
            return await _attempts(connection, phones)
    finally:
        await connection.close()


async def _leads(connection: asyncpg.Connection) -> dict[tuple[str, int], tuple[int, int, int]]:
    """(lead, position) -> (campaign id, lead id, phone id)."""
    found: dict[tuple[str, int], tuple[int, int, int]] = {}
    for external_id, (campaign, zone, numbers) in LEADS.items():
        campaign_id = await connection.fetchval(
            "INSERT INTO campaigns (name) VALUES ($1) ON CONFLICT (name)"
            " DO UPDATE SET name = EXCLUDED.name RETURNING id",
            campaign,
        )
        lead_id = await connection.fetchval(
            "INSERT INTO leads (campaign_id, external_id, name, time_zone)"
            " VALUES ($1, $2, $3, $4) RETURNING id",
            campaign_id,
            external_id,
            f"Customer {external_id}",
            zone,
        )
        for position, (number, phone_type) in enumerate(numbers):
            phone_id = await connection.fetchval(
                "INSERT INTO lead_phones (lead_id, number, phone_type, position)"
                " VALUES ($1, $2, $3, $4) RETURNING id",
                lead_id,
                number,
                phone_type,
                position,
            )
            found[(external_id, position)] = (campaign_id, lead_id, phone_id)
    return found


async def _attempts(
    connection: asyncpg.Connection, phones: dict[tuple[str, int], tuple[int, int, int]]
) -> dict[str, list[uuid.UUID]]:
    ids: dict[str, list[uuid.UUID]] = {}
    for lead, position, created, outcome, agent, talk_s, codes in ATTEMPTS:
        campaign_id, lead_id, phone_id = phones[(lead, position)]
        attempt_id = uuid.uuid4()
        ids.setdefault(lead, []).append(attempt_id)
        created_at = _at(created)
        answered = outcome in ("connected", "abandoned", "machine")
        await connection.execute(
            "INSERT INTO call_attempts (attempt_id, campaign_id, lead_id, phone_id, number,"
            " attempt_number, node, created_at, answered_at, ended_at, outcome, agent, talk_s)"
            " SELECT $1, $2, $3, $4, number, $5, 'node-a', $6, $7, $8, $9, $10, $11"
            " FROM lead_phones WHERE id = $4",
            attempt_id,
            campaign_id,
            lead_id,
            phone_id,
            len(ids[lead]),
            created_at,
            created_at if answered else None,
            created_at if outcome else None,
            outcome,
            agent,
            talk_s,
        )
        for code in codes:
            await connection.execute(
                "INSERT INTO dispositions (attempt_id, disposition, agent, source)"
                " VALUES ($1, $2, $3, 'ami')",
                attempt_id,
                code,
                agent,
            )
    return ids
