"""redis-py's errors become the package's two kinds at the boundary."""

from __future__ import annotations

import pytest
import redis.asyncio
import redis.exceptions as rex

from caller_id_pool import CallerIdError, RedisStore, StoreFailed, StoreUnavailable
from caller_id_pool.redis_store import translated


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (rex.ConnectionError("Connection refused"), StoreUnavailable),
        (rex.TimeoutError("Timeout reading"), StoreUnavailable),
        (rex.BusyLoadingError("LOADING"), StoreUnavailable),
        (rex.ReadOnlyError("READONLY"), StoreUnavailable),
        (ConnectionResetError(104, "reset"), StoreUnavailable),
        (rex.AuthenticationError("invalid password"), StoreFailed),
        (rex.NoPermissionError("NOPERM"), StoreFailed),
        (rex.ResponseError("WRONGTYPE"), StoreFailed),
    ],
)
def test_redis_errors_are_translated(raised: Exception, expected: type[CallerIdError]) -> None:
    with pytest.raises(expected) as caught, translated("reserve a caller ID"):
        raise raised
    assert caught.value.__cause__ is raised
    assert "reserve a caller ID" in str(caught.value)


def test_a_client_that_does_not_decode_is_refused() -> None:
    client = redis.asyncio.Redis()  # never connects
    with pytest.raises(ValueError, match="decode_responses=True"):
        RedisStore(client)
