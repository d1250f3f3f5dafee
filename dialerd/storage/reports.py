"""PgReports: rows of the report functions of revision 0005 (docs/reports.md).

Each report is a SQL function ``report_x(campaign_name, from_day, to_day)`` with a view of the
same name over everything; this adapter calls the function, so the filters apply before the
counting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from dialerd.storage.errors import StorageError
from dialerd.storage.store import PgStore
from dialerd.storage.tables import campaigns

__all__ = ["REPORT_FUNCTIONS", "PgReports", "ReportRows", "UnknownCampaign"]

REPORT_FUNCTIONS = (
    "report_no_answer_by_day",
    "report_no_answer_by_agent",
    "report_no_answer_by_number_type",
    "report_no_answer_by_hour",
    "report_number_answer_profile",
    "report_sale_attempt_number",
    "report_multi_number_leads",
)

_FILTERS = (
    sa.bindparam("campaign", type_=sa.Text),
    sa.bindparam("from_day", type_=sa.Date),
    sa.bindparam("to_day", type_=sa.Date),
)


class UnknownCampaign(StorageError):
    """The report names a campaign the database has never heard of (a typo, most likely)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no campaign {name!r}")


@dataclass(frozen=True, slots=True)
class ReportRows:
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


class PgReports:
    def __init__(self, store: PgStore) -> None:
        self._store = store

    async def fetch(
        self, function: str, campaign: str | None, from_day: date | None, to_day: date | None
    ) -> ReportRows:
        """The rows of one report; every filter left as None is no filter."""
        if function not in REPORT_FUNCTIONS:
            raise ValueError(f"no report function {function!r}")
        statement = sa.text(
            f"SELECT * FROM {function}(:campaign, :from_day, :to_day)"  # noqa: S608 - a known name
        ).bindparams(*_FILTERS)
        params = {"campaign": campaign, "from_day": from_day, "to_day": to_day}
        await self._store.require_head()
        known = sa.select(campaigns.c.id).where(campaigns.c.name == campaign)
        async with self._store.transaction(f"reading {function}") as connection:
            if campaign is not None and (await connection.execute(known)).first() is None:
                raise UnknownCampaign(campaign)
            result = await connection.execute(statement, params)
            return ReportRows(tuple(result.keys()), tuple(tuple(row) for row in result))
