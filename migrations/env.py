"""Alembic environment for dialerd (async, asyncpg).

``dialerd migrate`` (``dialerd.storage.schema``) opens the connection itself and hands it over in
``config.attributes["connection"]``. Run as plain ``alembic`` (for writing a new revision), the
URL comes from ``DIALERD_DATABASE_URL`` or ``sqlalchemy.url`` in ``alembic.ini``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from dialerd.storage.connect import async_url
from dialerd.storage.tables import metadata

config = context.config


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine(url: str) -> None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def main() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:
        run_on(shared)
        return
    url = os.environ.get("DIALERD_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set DIALERD_DATABASE_URL (or sqlalchemy.url in alembic.ini)")
    asyncio.run(run_with_own_engine(url))


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `dialerd migrate`")
main()
