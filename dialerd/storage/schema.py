"""Schema revisions: apply the alembic migrations and check the database is at head.

The alembic configuration is built here in code, so neither ``dialerd migrate`` nor the daemon
needs an ``alembic.ini``. The revisions are found by :func:`migrations_dir`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from dialerd.storage.connect import make_engine
from dialerd.storage.errors import SchemaNotAtHead, StorageError, translate_errors

__all__ = [
    "MIGRATIONS_ENV",
    "check_at_head",
    "current_revision",
    "downgrade",
    "head_revision",
    "migrate",
    "migrations_dir",
]

MIGRATIONS_ENV = "DIALERD_MIGRATIONS_DIR"
_T = TypeVar("_T")
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Two nodes running `dialerd migrate` at once take turns on this advisory lock.
_MIGRATE_LOCK_KEY = 0x6469616C  # "dial"


def migrations_dir() -> Path:
    """Where the revisions live, first match wins.

    1. ``$DIALERD_MIGRATIONS_DIR``;
    2. ``dialerd/_migrations`` inside the installed package (a wheel that bundles them);
    3. ``migrations/`` at the top of the source tree, beside the ``dialerd`` package (a
       checkout or an editable install).
    """
    candidates = [_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent / "migrations"]
    override = os.environ.get(MIGRATIONS_ENV)
    if override:
        candidates.insert(0, Path(override))
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise StorageError(f"dialerd's migrations are missing (looked in {tried})")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StorageError("dialerd's migrations directory holds no revision")
    return head


async def current_revision(url: str) -> str | None:
    """The revision the database is at; ``None`` for a database never migrated."""
    return await _with_connection(url, "reading the schema revision", _read_revision)


async def check_at_head(connection: AsyncConnection) -> None:
    """Raise :class:`SchemaNotAtHead` unless the connected database is at head."""
    current = await connection.run_sync(_read_revision)
    head = head_revision()
    if current != head:
        raise SchemaNotAtHead(current, head)


async def migrate(url: str, revision: str = "head") -> str:
    """Upgrade the database (in one transaction) and return the revision it is now at."""
    reached = await _migrate(url, revision, command.upgrade, "upgrading the schema")
    return reached or "base"


async def downgrade(url: str, revision: str) -> str | None:
    """Downgrade the database to ``revision`` (``"base"`` empties it) and return where it is."""
    return await _migrate(url, revision, command.downgrade, "downgrading the schema")


async def _migrate(
    url: str, revision: str, step: Callable[[Config, str], None], doing: str
) -> str | None:
    def run(connection: Connection) -> str | None:
        lock = sa.text("SELECT pg_advisory_xact_lock(:key)")
        connection.execute(lock, {"key": _MIGRATE_LOCK_KEY})
        config = alembic_config()
        config.attributes["connection"] = connection
        step(config, revision)
        return _read_revision(connection)

    return await _with_connection(url, doing, run, transaction=True)


def _read_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _with_connection(
    url: str, doing: str, work: Callable[[Connection], _T], *, transaction: bool = False
) -> _T:
    engine = make_engine(url, pool_size=1)
    try:
        with translate_errors(doing):
            async with engine.begin() if transaction else engine.connect() as connection:
                return await connection.run_sync(work)
    finally:
        await engine.dispose()
