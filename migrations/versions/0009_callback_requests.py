"""Callback requests: a customer's "reply 1", its deadline, and whether it was met.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
docs/followups.md says how a callback is scheduled, dialled and settled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("phone_id", sa.BigInteger, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        _at("requested_at", nullable=False),
        _at("due_at", nullable=False),
        _at("deadline", nullable=False),
        sa.Column("attempt_id", UUID(as_uuid=True), nullable=True),
        _at("dialled_at"),
        _at("connected_at"),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("met", sa.Boolean, nullable=True),
        _at("settled_at"),
        sa.PrimaryKeyConstraint("id", name="pk_callback_requests"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_callback_requests_campaign_id"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_callback_requests_lead_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["phone_id"],
            ["lead_phones.id"],
            name="fk_callback_requests_phone_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["call_attempts.attempt_id"], name="fk_callback_requests_attempt_id"
        ),
        sa.CheckConstraint("source IN ('api', 'cli')", name="ck_callback_requests_source"),
        sa.CheckConstraint("deadline >= requested_at", name="ck_callback_requests_deadline"),
        sa.CheckConstraint(
            "(met IS NULL) = (settled_at IS NULL)", name="ck_callback_requests_settled"
        ),
    )
    op.create_index(
        "ix_callback_requests_open",
        "callback_requests",
        ["campaign_id", "due_at"],
        postgresql_where=sa.text("settled_at IS NULL"),
    )
    op.create_index("ix_callback_requests_lead_id", "callback_requests", ["lead_id"])
    op.create_index(
        "uq_callback_requests_one_open_per_lead",
        "callback_requests",
        ["lead_id"],
        unique=True,
        postgresql_where=sa.text("settled_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("callback_requests")
