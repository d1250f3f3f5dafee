"""The audit log of caller-ID pool numbers' states, and an index for per-number statistics.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATES = "'active', 'quarantined', 'retired'"


def upgrade() -> None:
    op.create_table(
        "caller_id_state_changes",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("previous", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_caller_id_state_changes"),
        sa.CheckConstraint(f"previous IN ({STATES})", name="ck_caller_id_state_changes_previous"),
        sa.CheckConstraint(f"state IN ({STATES})", name="ck_caller_id_state_changes_state"),
    )
    op.create_index(
        "ix_caller_id_state_changes_number_id", "caller_id_state_changes", ["number", "id"]
    )
    op.create_index(
        "ix_call_attempts_caller_id_created_at", "call_attempts", ["caller_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_call_attempts_caller_id_created_at", table_name="call_attempts")
    op.drop_table("caller_id_state_changes")
