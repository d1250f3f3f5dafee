"""Inbound calls: customers who call a caller-ID pool number back (docs/callbacks.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Hand-written: ``dialerd/storage/tables.py`` must describe the same table (a test compares
them). Spelled out here rather than imported, so this revision never changes when the code does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

E164 = r"^\+[1-9][0-9]{6,14}$"


def upgrade() -> None:
    op.create_table(
        "inbound_calls",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("uniqueid", sa.Text, nullable=False),
        sa.Column("called", sa.Text, nullable=False),
        sa.Column("caller", sa.Text, nullable=True),
        sa.Column("caller_raw", sa.Text, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=True),
        sa.Column("campaign_id", sa.BigInteger, nullable=True),
        sa.Column("attempt_id", sa.UUID(as_uuid=True), nullable=True),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("queue", sa.Text, nullable=True),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("agent", sa.Text, nullable=True),
        sa.Column("node", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_calls"),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_inbound_calls_lead_id", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_inbound_calls_campaign_id",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["call_attempts.attempt_id"],
            name="fk_inbound_calls_attempt_id",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("route IN ('queue', 'message')", name="ck_inbound_calls_route"),
        sa.CheckConstraint(
            "outcome IN ('queued', 'answered', 'message', 'opted_out', 'callback_requested')",
            name="ck_inbound_calls_outcome",
        ),
        sa.CheckConstraint(
            f"caller IS NULL OR caller ~ '{E164}'", name="ck_inbound_calls_caller_e164"
        ),
    )
    op.create_index("ix_inbound_calls_started_at", "inbound_calls", ["started_at"])
    op.create_index("ix_inbound_calls_lead_id", "inbound_calls", ["lead_id"])
    op.create_index("ix_inbound_calls_caller", "inbound_calls", ["caller"])


def downgrade() -> None:
    op.drop_table("inbound_calls")
