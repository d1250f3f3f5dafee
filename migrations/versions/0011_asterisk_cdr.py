"""Asterisk's CDRs in PostgreSQL (``asterisk_cdr``), and the marks of a reconciled attempt.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Asterisk's cdr_pgsql inserts, into ``asterisk_cdr``, every column of the table whose name is a
CDR variable (docs/operations.md, "Asterisk's CDRs in PostgreSQL"); the daemon reads the rows
of attempts that ended ``unknown`` and records their true outcome (docs/reliability.md).
Times are ``timestamp`` without a zone: cdr_pgsql writes them without one, in UTC with
``timezone=UTC`` (config/asterisk/cdr_pgsql.conf).

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TEXT = ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata")
_MORE_TEXT = ("accountcode", "uniqueid", "userfield", "linkedid", "peeraccount")


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "asterisk_cdr",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("start", sa.DateTime(timezone=False), nullable=True),
        sa.Column("answer", sa.DateTime(timezone=False), nullable=True),
        sa.Column("end", sa.DateTime(timezone=False), nullable=True),
        *[_text(name) for name in _TEXT],
        sa.Column("duration", sa.Integer, nullable=False, server_default="0"),
        sa.Column("billsec", sa.Integer, nullable=False, server_default="0"),
        _text("disposition"),
        sa.Column("amaflags", sa.Integer, nullable=False, server_default="0"),
        *[_text(name) for name in _MORE_TEXT],
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_asterisk_cdr"),
    )
    op.create_index("ix_asterisk_cdr_uniqueid", "asterisk_cdr", ["uniqueid"])
    op.add_column(
        "call_attempts", sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("call_attempts", sa.Column("outcome_before", sa.Text, nullable=True))
    op.create_index(
        "ix_call_attempts_unreconciled",
        "call_attempts",
        ["ended_at"],
        postgresql_where=sa.text("outcome = 'unknown' AND reconciled_at IS NULL"),
    )


def downgrade() -> None:
    # A reconciled attempt goes back to the outcome it had before: 0010 knows no reconciliation.
    op.execute("UPDATE call_attempts SET outcome = outcome_before WHERE outcome_before IS NOT NULL")
    op.drop_index("ix_call_attempts_unreconciled", table_name="call_attempts")
    op.drop_column("call_attempts", "outcome_before")
    op.drop_column("call_attempts", "reconciled_at")
    op.drop_index("ix_asterisk_cdr_uniqueid", table_name="asterisk_cdr")
    op.drop_table("asterisk_cdr")
