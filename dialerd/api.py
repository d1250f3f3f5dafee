"""The HTTP API's POSTs: an agent's disposition, a customer's callback request, a customer's
preferred call time (docs/api.md).

Each handler checks the JSON body with the same function as the other ways in (the AMI user
event and ``dialerd disposition``; ``dialerd callback request``), so all of them accept the
same things, and answers what was stored. A refusal names the body's field at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from dialerd.callbacks import InvalidCallback, NoSuchLead, deadline_of, parse_ask, reopens_for
from dialerd.config import Campaign
from dialerd.dispositions import InvalidDisposition, parse_disposition
from dialerd.http import BadRequest, PostHandler, Response, json_response
from dialerd.leads_import import InvalidValue, call_window_of
from dialerd.ports import Clock
from dialerd.storage import PgStore, StorageUnavailable
from dialerd.storage.callbacks import PgCallbacks
from dialerd.storage.dispositions import PgDispositions, UnknownAttempt
from dialerd.storage.preferred import set_call_window

__all__ = ["Api"]

log = structlog.get_logger("dialerd.api")


def _text(body: Mapping[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name}: give a string", name)
    return value


class Api:
    """The POST handlers, over the daemon's store and its running campaigns."""

    def __init__(
        self, store: PgStore, campaigns: Callable[[], Mapping[str, Campaign]], clock: Clock
    ) -> None:
        self._store = store
        self._dispositions = PgDispositions(store, lambda name: deadline_of(campaigns().get(name)))
        self._callbacks = PgCallbacks(store)
        self._campaigns = campaigns
        self._clock = clock

    def routes(self) -> dict[str, PostHandler]:
        return {
            "/dispositions": self.disposition,
            "/callbacks": self.callback,
            "/preferred-time": self.preferred_time,
        }

    async def disposition(self, body: dict[str, Any]) -> Response:
        """``{"attempt_id", "disposition", "agent"?, "note"?, "callback_at"?, "owner"?}``: 201
        with the stored row and what it did to the lead (``act``)."""
        attempt_id = _text(body, "attempt_id", required=True) or ""
        code = _text(body, "disposition", required=True) or ""
        agent, note = _text(body, "agent"), _text(body, "note")
        at, owner = _text(body, "callback_at"), _text(body, "owner")
        try:
            disposition = parse_disposition(
                attempt_id,
                code,
                agent,
                note,
                "api",
                callback_at=at,
                owner=owner,
                now=self._clock.now(),
            )
            recorded = await self._dispositions.record(disposition)
        except InvalidDisposition as exc:
            raise BadRequest(str(exc), exc.field) from None
        except UnknownAttempt as exc:
            raise BadRequest(str(exc), "attempt_id", status=404) from None
        except StorageUnavailable as exc:
            raise BadRequest(f"not recorded, try again: {exc}", status=503) from None
        log.info("disposition_recorded", id=recorded.disposition_id, source="api")
        document = {
            "id": recorded.disposition_id,
            "attempt_id": str(disposition.attempt_id),
            "disposition": disposition.code,
            "agent": disposition.agent,
            "note": disposition.note,
            "recorded_at": recorded.created_at.isoformat(),
            "act": recorded.act,
        }
        if disposition.callback_at is not None:
            document["callback_at"] = disposition.callback_at.isoformat()
            document["owner"] = "agent" if disposition.owned else "anyone"
        return json_response(document, 201)

    async def callback(self, body: dict[str, Any]) -> Response:
        """``{"campaign", "lead_id" | "phone"}``: 201 with the new request, 200 with the
        lead's open one."""
        campaigns = self._campaigns()
        try:
            ask = parse_ask(body, "api", lambda name: deadline_of(campaigns.get(name)))
            campaign = campaigns[ask.campaign]
            now = self._clock.now()
            record = await self._callbacks.request(
                ask, now, reopens_for(campaign), events=campaign.followups is not None
            )
        except InvalidCallback as exc:
            status = 404 if exc.field == "campaign" else 400
            raise BadRequest(str(exc), exc.field, status) from None
        except NoSuchLead as exc:
            raise BadRequest(str(exc), "lead_id" if ask.lead_id else "phone", 404) from None
        except StorageUnavailable as exc:
            raise BadRequest(f"not recorded, try again: {exc}", status=503) from None
        log.info("callback_requested", campaign=ask.campaign, id=record.row["id"], source="api")
        return json_response(record.document(), 201 if record.created else 200)

    async def preferred_time(self, body: dict[str, Any]) -> Response:
        """``{"lead_id", "call_window": "HH:MM-HH:MM" | null}``: the customer's chosen time,
        in their own time zone; the lead's next attempts fall inside it (200)."""
        lead_id = body.get("lead_id")
        if not isinstance(lead_id, int) or isinstance(lead_id, bool):
            raise BadRequest("lead_id: give the lead's id, a number", "lead_id")
        text = body.get("call_window")
        if text is not None and not isinstance(text, str):
            raise BadRequest("call_window: give HH:MM-HH:MM or null", "call_window")
        try:
            window = call_window_of(text or "")
            found = await set_call_window(self._store, lead_id, window)
        except InvalidValue as exc:
            raise BadRequest(str(exc), "call_window") from None
        except StorageUnavailable as exc:
            raise BadRequest(f"not recorded, try again: {exc}", status=503) from None
        if not found:
            raise BadRequest(f"no lead {lead_id}", "lead_id", status=404)
        shown = None if window is None else "-".join(t.strftime("%H:%M") for t in window)
        log.info("preferred_time_set", lead_id=lead_id, call_window=shown)
        return json_response({"lead_id": lead_id, "call_window": shown}, 200)
