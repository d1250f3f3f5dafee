"""The follow-up outbox (followup_events) and the customers' promo codes (promo_codes).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
Allowed values are spelled out here rather than imported, so this revision never changes when
the code does. docs/followups.md says what the events are and how they are delivered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = (
    "'missed_call', 'dropped_call', 'channel_switch', "
    "'callback_requested', 'callback_deadline_met', 'callback_missed'"
)


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.create_table(
        "followup_events",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("attempt_id", UUID(as_uuid=True), nullable=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        _created_at(),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_followup_events"),
        sa.UniqueConstraint("idempotency_key", name="uq_followup_events_idempotency_key"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_followup_events_campaign_id"
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_followup_events_lead_id"),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["call_attempts.attempt_id"], name="fk_followup_events_attempt_id"
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="ck_followup_events_kind"),
        sa.CheckConstraint("state IN ('pending', 'sent', 'dead')", name="ck_followup_events_state"),
        sa.CheckConstraint("tries >= 0", name="ck_followup_events_tries"),
    )
    op.create_index(
        "ix_followup_events_due",
        "followup_events",
        ["next_try_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_followup_events_lead_id", "followup_events", ["lead_id"])
    op.create_table(
        "promo_codes",
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("lead_id", name="pk_promo_codes"),
        sa.UniqueConstraint("code", name="uq_promo_codes_code"),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_promo_codes_lead_id", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("promo_codes")
    op.drop_table("followup_events")
