"""`RedisStore`: caller-ID state shared by every dialer node through one Redis.

One script call (`snapshot.lua`) gives the selector its snapshot; one more (`reserve.lua`)
checks the rules and counts the call atomically, so two nodes can never exceed a cap or
show a customer the same caller ID twice in a row. Key names and TTLs are in `keys.py`.
redis-py errors are translated at this boundary into `StoreUnavailable` (retry) or
`StoreFailed` (fix the configuration); see `caller_id_pool.errors`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Self, cast

import redis.asyncio
import redis.exceptions as rex

from caller_id_pool.errors import StoreFailed, StoreUnavailable
from caller_id_pool.keys import CUSTOMER_TTL_S, DEFAULT_PREFIX, HISTORY_KEEP, Keys, script
from caller_id_pool.model import (
    Blocked,
    Buckets,
    CustomerHistory,
    NoneAvailable,
    NumberState,
    PoolNumber,
    Presentation,
    RebuildReport,
    Reservation,
    ReserveRequest,
    Snapshot,
    StateChange,
    Usage,
    buckets,
    epoch_ms,
    from_epoch_ms,
    utc,
)
from caller_id_pool.rebuild import RebuildPlan, plan_rebuild
from caller_id_pool.selector import explain_blocked

_SAFE_ID = re.compile(r"[^|,\n]+")
CHUNK = 500  # keys per rebuild script call: keeps each call well under a millisecond of Redis
_RETRYABLE = (rex.ConnectionError, rex.TimeoutError, rex.ReadOnlyError, rex.TryAgainError, OSError)
_REFUSED = (rex.AuthenticationError, rex.AuthorizationError, rex.NoPermissionError)


@contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except _REFUSED as exc:
        raise StoreFailed(f"Redis refused to {action}: {exc}") from exc
    except _RETRYABLE as exc:
        raise StoreUnavailable(f"Redis unavailable to {action}: {exc}") from exc
    except rex.RedisError as exc:
        raise StoreFailed(f"Redis failed to {action}: {exc}") from exc


class RedisStore:
    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        history_keep: int = HISTORY_KEEP,
    ) -> None:
        """`client` must decode responses (`decode_responses=True`); `connect` makes one."""
        if not client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("RedisStore needs a client made with decode_responses=True")
        self._client = client
        self.prefix = prefix
        self._keys = Keys(prefix)
        self._keep = history_keep
        self._parsed = ParsedUsage()
        self._snapshot = client.register_script(script("snapshot"))
        self._reserve = client.register_script(script("reserve"))
        self._release = client.register_script(script("release"))
        self._restore = client.register_script(script("restore"))

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_s: float = 2.0,
        history_keep: int = HISTORY_KEEP,
    ) -> Self:
        """A store with its own client; RESP3 asked for explicitly (see ADR 0002)."""
        client = redis.asyncio.Redis.from_url(
            url,
            protocol=3,
            decode_responses=True,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            health_check_interval=30,
        )
        return cls(client, prefix=prefix, history_keep=history_keep)

    async def aclose(self) -> None:
        with translated("close the connection"):
            await self._client.aclose()

    async def snapshot(
        self, customer_ids: Sequence[str], numbers: Sequence[str], now: datetime
    ) -> Snapshot:
        keys = [self._keys.usage, *map(self._keys.customer, customer_ids)]
        with translated("read caller-ID usage"):
            reply = await self._snapshot(keys=keys, args=[",".join(numbers)])
        lines = reply.split("\n")
        split = 2 * len(customer_ids)
        histories = tuple(
            CustomerHistory(tuple(seen.split(",")) if seen else (), answered or None)
            for seen, answered in zip(lines[0:split:2], lines[1:split:2], strict=True)
        )
        packed = lines[split:] if numbers else []
        return Snapshot(histories, self._parsed.usage(numbers, packed, buckets(now)))

    async def usage(self, numbers: Sequence[str], now: datetime) -> dict[str, Usage]:
        if not numbers:
            return {}
        with translated("read caller-ID usage"):
            packed = await self._client.hmget(self._keys.usage, list(numbers))
        return self._parsed.usage(numbers, cast("list[str | None]", packed), buckets(now))

    async def reserve(
        self, requests: Sequence[ReserveRequest], now: datetime
    ) -> list[Reservation | NoneAvailable]:
        if not requests:
            return []
        mark = buckets(now)
        keys = [self._keys.usage]
        args: list[str | int] = [epoch_ms(now), mark.day, mark.hour, mark.minute, self._keep]
        args.append(CUSTOMER_TTL_S)
        for request in requests:
            if not _SAFE_ID.fullmatch(request.attempt_id):
                raise ValueError(f"attempt id {request.attempt_id!r} holds '|', ',' or a newline")
            keys.append(self._keys.customer(request.customer_id))
            args += [request.attempt_id, request.avoid_last]
            args.append(",".join(map(pack_caps, request.candidates)))
        with translated("reserve a caller ID"):
            reply = await self._reserve(keys=keys, args=args)
        return [
            _reserved(request, line)
            for request, line in zip(requests, reply.split("\n"), strict=True)
        ]

    async def release(self, reservation: Reservation) -> None:
        mark, previous = buckets(reservation.reserved_at), reservation.previous_last_used
        keys = [self._keys.customer(reservation.customer_id), self._keys.usage]
        args: list[str | int] = [reservation.attempt_id, reservation.number]
        args += [mark.day, mark.hour, mark.minute, epoch_ms(reservation.reserved_at)]
        args.append(epoch_ms(previous) if previous is not None else "")
        with translated("release a caller ID"):
            await self._release(keys=keys, args=args)

    async def record_answer(self, customer_id: str, number: str) -> None:
        key = self._keys.customer(customer_id)
        with translated("record an answered caller ID"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(key, "answered", number)
                pipe.expire(key, CUSTOMER_TTL_S)
                await pipe.execute()

    async def states(self) -> dict[str, StateChange]:
        with translated("read caller-ID states"):
            stored = await self._client.hgetall(self._keys.states)
        return {str(number): state_from_json(str(text)) for number, text in stored.items()}

    async def record_state(self, change: StateChange) -> None:
        with translated("record a caller-ID state change"):
            await self._client.hset(self._keys.states, change.number, state_to_json(change))

    async def needs_rebuild(self) -> bool:
        with translated("check the caller-ID state"):
            return not await self._client.exists(self._keys.rebuilt)

    async def rebuild(
        self,
        presentations: Iterable[Presentation],
        now: datetime,
        states: Iterable[StateChange] = (),
    ) -> RebuildReport:
        plan = plan_rebuild(presentations, now, self._keep, states)
        with translated("rebuild the caller-ID state"):
            await self._restore_usage(plan, now)
            await self._restore_customers(plan)
            async with self._client.pipeline(transaction=False) as pipe:
                for number, change in plan.states.items():
                    pipe.hsetnx(self._keys.states, number, state_to_json(change))
                pipe.set(self._keys.rebuilt, utc(now).isoformat())
                await pipe.execute()
        return RebuildReport(
            plan.presentations, len(plan.customers), len(plan.usage), len(plan.states)
        )

    async def _restore_usage(self, plan: RebuildPlan, now: datetime) -> None:
        mark = buckets(now)
        usage = [(number, pack_usage(use, mark)) for number, use in plan.usage.items()]
        for start in range(0, len(usage), CHUNK):
            chunk = usage[start : start + CHUNK]
            args: list[str | int] = [len(chunk)]
            for number, packed in chunk:
                args += [number, packed]
            await self._restore(keys=[self._keys.usage], args=args)

    async def _restore_customers(self, plan: RebuildPlan) -> None:
        customers = list(plan.customers.items())
        for start in range(0, len(customers), CHUNK):
            chunk = customers[start : start + CHUNK]
            args: list[str | int] = [0]
            for _, history in chunk:
                args += [",".join(history.presented), history.answered_from or "", CUSTOMER_TTL_S]
            keys = [self._keys.usage, *(self._keys.customer(c) for c, _ in chunk)]
            await self._restore(keys=keys, args=args)


def _reserved(request: ReserveRequest, line: str) -> Reservation | NoneAvailable:
    """A reply line of reserve.lua as a result."""
    fields = line.split("|")
    if fields[0] == "1":
        _, number, at, previous = fields
        before = from_epoch_ms(int(previous)) if previous else None
        at_time = from_epoch_ms(int(at))
        return Reservation(request.customer_id, request.attempt_id, number, at_time, before)
    blocked = Blocked(*(int(count) for count in fields[1:]))
    return NoneAvailable("at reservation: " + explain_blocked(blocked, request.avoid_last))


def pack_caps(number: PoolNumber) -> str:
    caps = number.caps
    per_hour = -1 if caps.per_hour is None else caps.per_hour
    cooldown_ms = round(caps.cooldown_s * 1000)
    return f"{number.number}|{caps.per_day}|{per_hour}|{caps.per_minute}|{cooldown_ms}"


def pack_usage(use: Usage, mark: Buckets) -> str:
    last = epoch_ms(use.last_used) if use.last_used is not None else ""
    counts = (use.today, use.this_hour, use.this_minute)
    return f"{mark.day}|{counts[0]}|{mark.hour}|{counts[1]}|{mark.minute}|{counts[2]}|{last}"


class ParsedUsage:
    """Packed usage values already parsed: between two snapshots most numbers are unchanged,
    and parsing twenty of them each time is a good part of a reservation's client CPU."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str | None, str, Usage]] = {}  # number: packed, minute, usage

    def usage(
        self, numbers: Sequence[str], packed: Sequence[str | None], mark: Buckets
    ) -> dict[str, Usage]:
        usage = {}
        for number, value in zip(numbers, packed, strict=True):
            held = self._seen.get(number)
            if held is not None and held[0] == value and held[1] == mark.minute:
                usage[number] = held[2]
            else:
                usage[number] = unpack_usage(value, mark)
                self._seen[number] = (value, mark.minute, usage[number])
        return usage


def unpack_usage(value: str | None, mark: Buckets) -> Usage:
    """Counts whose bucket is not `mark`'s read as 0 (keys.py has the format)."""
    if not value:
        return Usage()
    day, today, hour, this_hour, minute, this_minute, last = value.split("|")
    return Usage(
        int(today) if day == mark.day else 0,
        int(this_hour) if hour == mark.hour else 0,
        int(this_minute) if minute == mark.minute else 0,
        from_epoch_ms(int(last)) if last else None,
    )


def state_to_json(change: StateChange) -> str:
    fields = asdict(change)
    fields["at"] = utc(change.at).isoformat()
    return json.dumps(fields, default=str)


def state_from_json(text: str) -> StateChange:
    fields = json.loads(text)
    return StateChange(
        number=fields["number"],
        previous=NumberState(fields["previous"]),
        state=NumberState(fields["state"]),
        reason=fields["reason"],
        at=datetime.fromisoformat(fields["at"]),
        actor=fields["actor"],
    )
