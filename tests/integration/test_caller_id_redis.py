"""The caller-ID Redis store against the lab's real Redis: the store contract, two workers
reserving at once, the selection property, scripts after a flushed script cache, errors.

Each test works under its own key prefix and deletes its keys afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from itertools import pairwise
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio
from hypothesis import HealthCheck, given, settings

from caller_id_pool import (
    Caps,
    NoneAvailable,
    RedisStore,
    Reservation,
    Rules,
    StoreFailed,
    StoreUnavailable,
    reserve_caller_id,
)
from tests.integration.lab import Lab
from tests.unit.caller_id_pool.contract import A, StoreContract, history, take
from tests.unit.caller_id_pool.scenario import Scenario, check_invariants, run_scenario, scenarios
from tests.unit.caller_id_pool.support import (
    BEELINE,
    KYIVSTAR,
    LIFECELL,
    MEGAFON,
    NOW,
    VODAFONE_UA,
    destination,
    pool_of,
)


def new_prefix() -> str:
    return f"test:cid:{uuid.uuid4().hex}:"


async def delete_prefix(url: str, prefix: str) -> None:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def store(lab: Lab) -> AsyncIterator[RedisStore]:
    prefix = new_prefix()
    store = RedisStore.connect(lab.redis_url, prefix=prefix)
    try:
        yield store
    finally:
        await store.aclose()
        await delete_prefix(lab.redis_url, prefix)


class TestRedisStore(StoreContract):
    """The same contract the in-process store passes (fixture `store` above)."""


async def test_scripts_work_after_the_script_cache_is_flushed(store: RedisStore, lab: Lab) -> None:
    first = await take(store, "c1", "t1")
    client = redis.asyncio.Redis.from_url(lab.redis_url)
    try:
        await client.script_flush()  # what a Redis restart does to the script cache
    finally:
        await client.aclose()
    await store.release(first)
    assert (await history(store, "c1")).presented == ()
    assert (await take(store, "c1", "t2")).number == A.number


async def test_keys_are_all_under_the_prefix_and_customers_expire(
    store: RedisStore, lab: Lab
) -> None:
    await take(store, "c1", "t1")
    client = redis.asyncio.Redis.from_url(lab.redis_url, decode_responses=True)
    try:
        keys = sorted([key async for key in client.scan_iter(match=f"{store.prefix}*")])
        ttls = [await client.ttl(key) for key in keys]
    finally:
        await client.aclose()
    assert keys == [f"{store.prefix}cust:c1", f"{store.prefix}usage"]
    assert 89 * 86_400 < ttls[0] <= 90 * 86_400  # a customer is remembered 90 days
    assert ttls[1] == -1  # one field per pool number: bounded by the pool


CAP = 25
RACE_POOL = pool_of(
    KYIVSTAR, VODAFONE_UA, LIFECELL, MEGAFON, caps=Caps(per_day=CAP, per_minute=1000)
)
RACE_CUSTOMERS = [f"c{i}" for i in range(12)]


async def race(store: RedisStore, name: str) -> list[Reservation | NoneAvailable]:
    """150 dials for 12 customers, ten in flight at a time, all at the same instant."""

    async def one(i: int) -> Reservation | NoneAvailable:
        customer = RACE_CUSTOMERS[i % len(RACE_CUSTOMERS)]
        return await reserve_caller_id(
            store,
            RACE_POOL,
            destination(BEELINE),
            customer_id=customer,
            attempt_id=f"{name}-{i}",
            rules=Rules(),
            now=NOW,
        )

    results: list[Reservation | NoneAvailable] = []
    for start in range(0, 150, 10):
        results += await asyncio.gather(*(one(i) for i in range(start, start + 10)))
    return results


async def test_two_workers_never_exceed_a_cap_nor_repeat_a_caller_id(lab: Lab) -> None:
    prefix = new_prefix()
    # a long history per customer, so that the whole order of presentations can be checked
    workers = [
        RedisStore.connect(lab.redis_url, prefix=prefix, history_keep=1000) for _ in range(2)
    ]
    try:
        outcomes = await asyncio.gather(*(race(w, f"w{k}") for k, w in enumerate(workers)))
        results = [r for batch in outcomes for r in batch]
        reserved = [r for r in results if isinstance(r, Reservation)]
        per_number = Counter(r.number for r in reserved)
        assert per_number == {n.number: CAP for n in RACE_POOL}  # filled, never exceeded
        usage = await workers[0].usage([n.number for n in RACE_POOL], NOW)
        assert {n: u.today for n, u in usage.items()} == per_number
        seen = [(await history(workers[0], c)).presented for c in RACE_CUSTOMERS]
        assert all(a != b for shown in seen for a, b in pairwise(shown)), seen
        assert sum(map(len, seen)) == len(reserved)
        # a refusal is for caps, or for a race on one customer: both workers chose the same
        # last free number for them, and the second reservation found it seen last
        reasons = {r.reason for r in results if isinstance(r, NoneAvailable)}
        assert len(results) - len(reserved) == 300 - 4 * CAP
        assert all("daily cap" in r or "saw last" in r for r in reasons), reasons
    finally:
        for worker in workers:
            await worker.aclose()
        await delete_prefix(lab.redis_url, prefix)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios(max_attempts=25))
def test_selection_property_holds_on_redis(lab: Lab, scenario: Scenario) -> None:
    async def run() -> None:
        prefix = new_prefix()
        store = RedisStore.connect(lab.redis_url, prefix=prefix)
        try:
            check_invariants(scenario, await run_scenario(store, scenario))
        finally:
            await store.aclose()
            await delete_prefix(lab.redis_url, prefix)

    asyncio.run(run())


async def test_unreachable_redis_is_retryable() -> None:
    store = RedisStore.connect("redis://127.0.0.1:1/0", prefix=new_prefix(), timeout_s=0.5)
    try:
        with pytest.raises(StoreUnavailable, match="Redis unavailable to reserve a caller ID"):
            await take(store, "c1", "t1")
    finally:
        await store.aclose()


async def test_wrong_password_is_fatal(lab: Lab) -> None:
    parts = urlsplit(lab.redis_url)
    wrong = parts._replace(netloc=f":not-the-password@{parts.hostname}:{parts.port}")
    store = RedisStore.connect(urlunsplit(wrong), prefix=new_prefix())
    try:
        with pytest.raises(StoreFailed, match="Redis refused"):
            await store.snapshot(["c1"], [A.number], NOW)
    finally:
        await store.aclose()
