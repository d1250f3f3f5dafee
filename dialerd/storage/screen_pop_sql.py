"""PgConnectedEvents: the screen pop's ``call_connected`` events, written to the follow-up outbox.

An event is written once per attempt (its idempotency key is ``call_connected:<attempt id>``,
``ON CONFLICT DO NOTHING``), in one short transaction per batch; the webhook sender
(dialerd.webhooks) then delivers it like any follow-up event. The payload is built from the
attempt's row as the other follow-ups' are (:data:`dialerd.storage.outbox_sql.ATTEMPT_CONTEXT`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from dialerd.followups import FollowupKind
from dialerd.screen_pop import Connected, connected_key, connected_payload
from dialerd.storage.outbox_sql import ATTEMPT_CONTEXT, INSERT_EVENT
from dialerd.storage.store import PgStore

__all__ = ["PgConnectedEvents"]


class PgConnectedEvents:
    """Writes ``call_connected`` events through a `PgStore`'s connection pool."""

    def __init__(self, store: PgStore) -> None:
        self._store = store

    async def write(self, events: Sequence[Connected]) -> None:
        if not events:
            return
        params = {
            "attempt_ids": [e.attempt_id for e in events],
            "campaigns": sorted({e.campaign for e in events}),
        }
        async with self._store.transaction("writing call_connected events") as connection:
            rows = await connection.execute(ATTEMPT_CONTEXT, params)
            context = {row["attempt_id"]: dict(row) for row in rows.mappings()}
            inserts = [
                _row(event, attempt)
                for event in events
                if (attempt := context.get(event.attempt_id)) is not None
            ]
            if inserts:
                await connection.execute(INSERT_EVENT, inserts)


def _row(event: Connected, attempt: Mapping[str, object]) -> dict[str, object]:
    payload = connected_payload(event, attempt)
    return {
        "key": connected_key(event.attempt_id),
        "campaign_id": attempt["campaign_id"],
        "lead_id": attempt["lead_id"],
        "attempt_id": event.attempt_id,
        "kind": FollowupKind.CALL_CONNECTED.value,
        "payload": json.dumps(payload, sort_keys=True),
        "now": event.connected_at,
    }
