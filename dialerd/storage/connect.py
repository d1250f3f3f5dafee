"""Database URLs and engines: one place decides how dialerd connects to PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["async_url", "make_engine", "plain_dsn"]

_DRIVERLESS = ("postgresql", "postgres")


def async_url(url: str) -> str:
    """The URL with the asyncpg driver named, as SQLAlchemy's async engine needs it.

    Accepts ``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://``.
    """
    parsed = sa.make_url(url)
    if parsed.drivername in _DRIVERLESS:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if parsed.drivername != "postgresql+asyncpg":
        raise ValueError(f"dialerd needs a postgresql:// URL, not {parsed.drivername}://")
    return parsed.render_as_string(hide_password=False)


def plain_dsn(url: str) -> str:
    """The same URL as a libpq-style DSN, as plain asyncpg takes it."""
    parsed = sa.make_url(async_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    """An engine whose pooled connections are checked before use (a restarted server is normal)."""
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=0, pool_pre_ping=True
    )
