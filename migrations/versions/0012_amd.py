"""Answering machine detection: what AMD said of each answered attempt, and what was done.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

``amd_status`` (HUMAN, MACHINE, NOTSURE, HANGUP), ``amd_cause`` (AMD()'s AMDCAUSE),
``amd_ms`` (from the answer to the result) and ``amd_action`` (agent, hangup, message) are
null when no AMD ran. An index on (lead_id, ended_at) for voicemail drops serves the daily
cap per lead (docs/amd.md). The outcome ``machine`` was already allowed.

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("call_attempts", sa.Column("amd_status", sa.Text, nullable=True))
    op.add_column("call_attempts", sa.Column("amd_cause", sa.Text, nullable=True))
    op.add_column("call_attempts", sa.Column("amd_ms", sa.Integer, nullable=True))
    op.add_column("call_attempts", sa.Column("amd_action", sa.Text, nullable=True))
    op.create_check_constraint(
        "ck_call_attempts_amd_action",
        "call_attempts",
        "amd_action IS NULL OR amd_action IN ('agent', 'hangup', 'message')",
    )
    op.create_index(
        "ix_call_attempts_voicemail_drops",
        "call_attempts",
        ["lead_id", "ended_at"],
        postgresql_where=sa.text("amd_action = 'message'"),
    )


def downgrade() -> None:
    op.drop_index("ix_call_attempts_voicemail_drops", table_name="call_attempts")
    op.drop_constraint("ck_call_attempts_amd_action", "call_attempts", type_="check")
    op.drop_column("call_attempts", "amd_action")
    op.drop_column("call_attempts", "amd_ms")
    op.drop_column("call_attempts", "amd_cause")
    op.drop_column("call_attempts", "amd_status")
