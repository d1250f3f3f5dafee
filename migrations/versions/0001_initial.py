"""Campaigns, leads and their phones, the per-phone dialing schedule, and call attempts.

Revision ID: 0001
Revises:
Create Date: 2025-11-23

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
Allowed values are spelled out here rather than imported, so this revision never changes when
the code does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OUTCOMES = (
    "'connected', 'abandoned', 'busy', 'no_answer', 'congestion', 'failed', 'machine',"
    " 'cancelled', 'unknown'"
)
PHONE_STATES = "'standby', 'scheduled', 'leased', 'dialing', 'done', 'exhausted'"
ACTIVE_STATES = "'scheduled', 'leased', 'dialing'"
PHONE_TYPES = "'mobile', 'landline', 'unknown'"
E164 = r"^\+[1-9][0-9]{6,14}$"


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    _create_campaigns()
    _create_leads()
    _create_lead_phones()
    _create_phone_schedule()
    _create_call_attempts()


def downgrade() -> None:
    op.drop_table("call_attempts")
    op.drop_table("phone_schedule")
    op.drop_table("lead_phones")
    op.drop_table("leads")
    op.drop_table("campaigns")


def _create_campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        sa.UniqueConstraint("name", name="uq_campaigns_name"),
    )


def _create_leads() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("external_id", sa.Text, nullable=True),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("time_zone", sa.Text, nullable=True),
        sa.Column("call_window_start", sa.Time, nullable=True),
        sa.Column("call_window_end", sa.Time, nullable=True),
        sa.Column("fields", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_leads_campaign_id"),
        sa.UniqueConstraint("campaign_id", "external_id", name="uq_leads_campaign_id_external_id"),
        sa.CheckConstraint(
            "(call_window_start IS NULL) = (call_window_end IS NULL)", name="ck_leads_call_window"
        ),
    )


def _create_lead_phones() -> None:
    op.create_table(
        "lead_phones",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("phone_type", sa.Text, nullable=False, server_default="unknown"),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lead_phones"),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_lead_phones_lead_id", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("lead_id", "number", name="uq_lead_phones_lead_id_number"),
        sa.CheckConstraint(f"number ~ '{E164}'", name="ck_lead_phones_number_e164"),
        sa.CheckConstraint(f"phone_type IN ({PHONE_TYPES})", name="ck_lead_phones_phone_type"),
        sa.CheckConstraint("position >= 0", name="ck_lead_phones_position"),
    )
    op.create_index("ix_lead_phones_number", "lead_phones", ["number"])


def _create_phone_schedule() -> None:
    op.create_table(
        "phone_schedule",
        sa.Column("phone_id", sa.BigInteger, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("next_dial_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_outcome", sa.Text, nullable=True),
        sa.Column("leased_by", sa.Text, nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("phone_id", name="pk_phone_schedule"),
        sa.ForeignKeyConstraint(
            ["phone_id"], ["lead_phones.id"], name="fk_phone_schedule_phone_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint(f"state IN ({PHONE_STATES})", name="ck_phone_schedule_state"),
        sa.CheckConstraint(
            f"last_outcome IS NULL OR last_outcome IN ({OUTCOMES})",
            name="ck_phone_schedule_last_outcome",
        ),
        sa.CheckConstraint(
            "state <> 'scheduled' OR next_dial_at IS NOT NULL",
            name="ck_phone_schedule_scheduled_at",
        ),
        sa.CheckConstraint(
            "state <> 'leased' OR (leased_by IS NOT NULL AND lease_until IS NOT NULL)",
            name="ck_phone_schedule_lease",
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_phone_schedule_attempts"),
    )
    op.create_index(
        "ix_phone_schedule_claim", "phone_schedule", ["campaign_id", "state", "next_dial_at"]
    )
    op.create_index(
        "uq_phone_schedule_one_active_per_lead",
        "phone_schedule",
        ["lead_id"],
        unique=True,
        postgresql_where=sa.text(f"state IN ({ACTIVE_STATES})"),
    )


def _create_call_attempts() -> None:
    op.create_table(
        "call_attempts",
        sa.Column("attempt_id", UUID(as_uuid=True), nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("phone_id", sa.BigInteger, nullable=False),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("caller_id", sa.Text, nullable=True),
        sa.Column("attempt_number", sa.Integer, nullable=False),
        sa.Column("node", sa.Text, nullable=False),
        _created_at(),
        *(
            sa.Column(name, sa.DateTime(timezone=True), nullable=True)
            for name in ("originated_at", "answered_at", "agent_connected_at", "ended_at")
        ),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("ast_reason", sa.Integer, nullable=True),
        sa.Column("hangup_cause", sa.Integer, nullable=True),
        sa.Column("agent", sa.Text, nullable=True),
        sa.Column("hold_s", sa.REAL, nullable=True),
        sa.Column("talk_s", sa.REAL, nullable=True),
        sa.PrimaryKeyConstraint("attempt_id", name="pk_call_attempts"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_call_attempts_campaign_id"
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_call_attempts_lead_id"),
        sa.ForeignKeyConstraint(["phone_id"], ["lead_phones.id"], name="fk_call_attempts_phone_id"),
        sa.CheckConstraint(
            f"outcome IS NULL OR outcome IN ({OUTCOMES})", name="ck_call_attempts_outcome"
        ),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (outcome IS NULL)", name="ck_call_attempts_ended_with_outcome"
        ),
        sa.CheckConstraint("attempt_number >= 1", name="ck_call_attempts_attempt_number"),
    )
    for name, columns in (
        ("ix_call_attempts_campaign_id_created_at", ["campaign_id", "created_at"]),
        ("ix_call_attempts_phone_id_created_at", ["phone_id", "created_at"]),
        ("ix_call_attempts_lead_id_created_at", ["lead_id", "created_at"]),
    ):
        op.create_index(name, "call_attempts", columns)
    op.create_index(
        "ix_call_attempts_open_by_node",
        "call_attempts",
        ["node"],
        postgresql_where=sa.text("ended_at IS NULL"),
    )
