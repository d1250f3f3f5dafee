"""A customer's preferred call time, set after the import (the HTTP API: docs/api.md).

The lead's ``call_window_start``/``_end`` are what the lead file's ``call_window`` sets; the
screening before every dial narrows the campaign's calling window to them (when the
campaign's ``calling_window.lead_window`` is on), so the next attempt falls inside them.
"""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from dialerd.storage.store import PgStore

__all__ = ["set_call_window"]

SET_WINDOW = sa.text("""
UPDATE leads SET call_window_start = :start, call_window_end = :end
WHERE id = :lead_id
RETURNING id
""")


async def set_call_window(store: PgStore, lead_id: int, window: tuple[time, time] | None) -> bool:
    """Set (or clear, with None) the lead's preferred window; False: no such lead."""
    start, end = window if window is not None else (None, None)
    async with store.transaction("setting a preferred call time") as connection:
        row = await connection.execute(SET_WINDOW, {"lead_id": lead_id, "start": start, "end": end})
        return row.first() is not None
