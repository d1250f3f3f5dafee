"""Delivery of follow-up events: an HTTP POST of each outbox event to its campaign's URL.

At least once: an event leaves the outbox only when a URL answered 2xx; a failed try is
retried with jittered exponential backoff and dead-lettered after the campaign's
``max_tries``; an event whose node died mid-send is claimed again once its lease ends, with
the same body and idempotency key, so the receiver can tell a repeat from a new event.

The client is the standard library's asyncio streams (docs/decisions/0005-…): one request
per connection, ``Connection: close``, only the status line is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

import structlog

from dialerd.errors import DialerdError
from dialerd.followup_settings import FollowupSettings
from dialerd.followups import (
    EVENT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    OutboxEvent,
    retry_delay_s,
    signature,
)
from dialerd.ports import Clock

log = structlog.get_logger("dialerd.webhooks")

Post = Callable[[str, bytes, Mapping[str, str], float], Awaitable[str | None]]
USER_AGENT = "dialerd-webhooks/1"
MAX_PAUSE_S = 30.0  # the longest wait between rounds while PostgreSQL cannot be reached


class Outbox(Protocol):
    async def claim(
        self, campaigns: Sequence[str], limit: int, now: datetime, lease_s: float
    ) -> list[OutboxEvent]: ...

    async def sent(self, event_id: int, now: datetime) -> None: ...

    async def failed(
        self, event_id: int, error: str, next_try_at: datetime, *, dead: bool
    ) -> None: ...


async def post_json(
    url: str, body: bytes, headers: Mapping[str, str], timeout_s: float
) -> str | None:
    """POST ``body``; None when the server answered 2xx, else what went wrong."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    try:
        async with asyncio.timeout(timeout_s):
            status = await _exchange(host, port, https, _request(parts, body, headers))
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except (OSError, ssl.SSLError) as exc:
        return f"cannot reach {host}:{port}: {exc}"
    fields = status.split()
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
        return "the answer is not HTTP"
    code = int(fields[1])
    return None if 200 <= code < 300 else f"HTTP {code}"


def _request(parts: SplitResult, body: bytes, headers: Mapping[str, str]) -> bytes:
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"POST {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"User-Agent: {USER_AGENT}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(host: str, port: int, https: bool, request: bytes) -> bytes:
    context = ssl.create_default_context() if https else None
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        writer.write(request)
        await writer.drain()
        return await reader.readline()
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


@dataclass
class KindCounts:
    sent: int = 0
    failed: int = 0  # tries that failed (each is retried or dead-lettered)
    dead: int = 0  # events dead-lettered


class WebhookSender:
    """Claims due events of the campaigns with follow-ups and posts them, a batch at a time."""

    def __init__(
        self,
        outbox: Outbox,
        settings: Callable[[], Mapping[str, FollowupSettings]],
        clock: Clock,
        *,
        post: Post = post_json,
        poll_s: float = 1.0,
        batch: int = 20,
    ) -> None:
        self._outbox = outbox
        self._settings = settings  # read at every round: a reload takes effect at once
        self._clock = clock
        self._post = post
        self._poll_s = poll_s
        self._batch = batch
        self.counts: dict[tuple[str, str], KindCounts] = {}  # (campaign, kind) -> counts

    async def run(self) -> None:
        """Deliver until cancelled; while the database fails, rounds back off up to 30 s."""
        pause_s = self._poll_s
        while True:
            try:
                delivered = await self.deliver_due()
            except DialerdError as exc:
                log.warning("followups_unreachable", error=str(exc), retry_in_s=pause_s)
                await asyncio.sleep(pause_s)
                pause_s = min(pause_s * 2, MAX_PAUSE_S)
                continue
            pause_s = self._poll_s
            if delivered < self._batch:
                await asyncio.sleep(self._poll_s)

    async def deliver_due(self) -> int:
        """One round: claim a batch, post each event of it at once, settle each; how many."""
        settings = dict(self._settings())
        if not settings:
            return 0
        lease_s = 2 * max(s.delivery.timeout_s for s in settings.values()) + 5
        events = await self._outbox.claim(list(settings), self._batch, self._clock.now(), lease_s)
        settled = await asyncio.gather(
            *(self._deliver(event, settings) for event in events), return_exceptions=True
        )
        for event, outcome in zip(events, settled, strict=True):
            if isinstance(outcome, DialerdError):  # its lease runs out: it is tried again
                log.warning("followup_not_settled", key=event.key, error=str(outcome))
            elif isinstance(outcome, BaseException):
                raise outcome
        return len(events)

    async def _deliver(self, event: OutboxEvent, settings: Mapping[str, FollowupSettings]) -> None:
        config = settings[event.campaign]
        headers = {
            IDEMPOTENCY_HEADER: event.key,
            EVENT_HEADER: event.kind,
            SIGNATURE_HEADER: signature(config.signing_key(), event.body),
        }
        url = config.url_for(event.kind)
        error = await self._post(url, event.body, headers, config.delivery.timeout_s)
        counts = self.counts.setdefault((event.campaign, event.kind), KindCounts())
        if error is None:
            await self._outbox.sent(event.event_id, self._clock.now())
            counts.sent += 1
            log.info("followup_sent", campaign=event.campaign, key=event.key, tries=event.tries)
            return
        await self._failed(event, config, error, counts)

    async def _failed(
        self, event: OutboxEvent, config: FollowupSettings, error: str, counts: KindCounts
    ) -> None:
        delivery = config.delivery
        dead = event.tries >= delivery.max_tries
        delay_s = retry_delay_s(event.tries, delivery.backoff_s, delivery.max_backoff_s)
        next_try_at = self._clock.now() + timedelta(seconds=delay_s)
        await self._outbox.failed(event.event_id, error, next_try_at, dead=dead)
        counts.failed += 1
        fields = {"campaign": event.campaign, "key": event.key, "tries": event.tries}
        if dead:
            counts.dead += 1
            log.error("followup_dead_lettered", error=error, **fields)
        else:
            log.warning("followup_failed", error=error, retry_in_s=round(delay_s, 1), **fields)


__all__ = ["KindCounts", "Outbox", "WebhookSender", "post_json"]
