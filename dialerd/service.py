"""What the daemon shows its service manager beyond the notify protocol itself.

The Redis readiness check (Redis is optional: READY waits for it only when it is
configured), the wording of the STATUS line ``systemctl status dialerd`` shows, and the
result of the last SIGHUP (a gauge, so an alert can fire on a reload that was refused).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio
import redis.exceptions

from dialerd.config import RedisSettings
from dialerd.errors import Fatal, Unavailable


async def ping_redis(settings: RedisSettings, timeout_s: float = 5.0) -> None:
    """Raise unless Redis answers PING: Fatal for refused credentials, else Unavailable."""
    client = redis.asyncio.Redis.from_url(
        settings.url,
        password=settings.reveal(),  # a password written in the URL wins over this one
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
    )
    try:
        await client.ping()
    except redis.exceptions.AuthenticationError as exc:
        raise Fatal(f"Redis refused our credentials: {exc}") from exc
    except (redis.exceptions.RedisError, OSError) as exc:
        raise Unavailable(f"cannot reach Redis: {exc}") from exc
    finally:
        await client.aclose()


def dialing_status(campaigns: int) -> str:
    if campaigns == 0:
        return "idle: no campaign enabled"
    return f"dialing {campaigns} campaign{'s' if campaigns != 1 else ''}"


@dataclass(frozen=True)
class ReloadResult:
    """The last SIGHUP: whether the new configuration was taken, and when (Unix time)."""

    ok: bool
    at: float
