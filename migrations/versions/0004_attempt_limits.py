"""An index for the attempt limits: a number's attempts over time, in every campaign.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
The limits with scope number (rolling caps, the lockout after an abandoned call) look a number
up across every campaign and lead, once per dial batch and again in each attempt's own
transaction; without this index each look is a scan of ``call_attempts``.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_call_attempts_number_created_at", "call_attempts", ["number", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_call_attempts_number_created_at", table_name="call_attempts")
