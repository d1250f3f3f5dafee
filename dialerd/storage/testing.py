"""Helpers for tests that need a real PostgreSQL: a throwaway database per test or module.

    async with throwaway_database(admin_url) as url:
        await migrate(url)
        ...

The role behind ``admin_url`` needs CREATEDB. The database is dropped on exit even if sessions
are still connected to it.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa

from dialerd.storage.connect import async_url, make_engine
from dialerd.storage.errors import translate_errors

__all__ = ["create_database", "drop_database", "throwaway_database"]


@asynccontextmanager
async def throwaway_database(admin_url: str, prefix: str = "test") -> AsyncIterator[str]:
    """Create an empty database named ``<prefix>_<random>``; yield its URL; drop it."""
    url = await create_database(admin_url, prefix)
    try:
        yield url
    finally:
        await drop_database(url)


async def create_database(admin_url: str, prefix: str = "test") -> str:
    """Create an empty database named ``<prefix>_<random>`` and return its URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    return (
        sa.make_url(async_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    )


async def drop_database(url: str) -> None:
    """Drop the database ``url`` names, disconnecting whoever is still in it."""
    parsed = sa.make_url(async_url(url))
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    await _admin(admin, f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


async def _admin(url: str, statement: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        with translate_errors(f"running {statement}"):
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(sa.text(statement))
    finally:
        await engine.dispose()
