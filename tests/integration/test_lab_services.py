"""The lab's PostgreSQL and Redis are real servers on loopback, as dialerd will use them."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis.asyncio as redis

from dialerd.storage.connect import plain_dsn
from tests.integration.lab import Lab


async def test_postgresql_is_version_15_on_loopback(lab: Lab) -> None:
    assert urlsplit(lab.database_url).hostname == "127.0.0.1"
    connection = await asyncpg.connect(plain_dsn(lab.database_url))
    try:
        version = await connection.fetchval("SHOW server_version_num")
        assert 150000 <= int(version) < 160000
        assert await connection.fetchval("SELECT current_user") == "dialerd"
    finally:
        await connection.close()


async def test_redis_runs_lua_atomically_and_requires_its_password(lab: Lab) -> None:
    assert urlsplit(lab.redis_url).hostname == "127.0.0.1"
    client = redis.from_url(lab.redis_url)
    key = f"test:{uuid.uuid4().hex}"
    try:
        incr_capped = client.register_script(
            "local n = redis.call('INCR', KEYS[1]) "
            "if n > tonumber(ARGV[1]) then redis.call('DECR', KEYS[1]) return 0 end return n"
        )
        results = [await incr_capped(keys=[key], args=[3]) for _ in range(5)]
        assert results == [1, 2, 3, 0, 0]
    finally:
        await client.delete(key)
        await client.aclose()
    parts = urlsplit(lab.redis_url)
    anonymous = redis.from_url(f"redis://{parts.hostname}:{parts.port}/0")
    try:
        with pytest.raises(redis.AuthenticationError):
            await anonymous.ping()
    finally:
        await anonymous.aclose()
