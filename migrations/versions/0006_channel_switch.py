"""Channel switches: the phone state `switched` and the outbox table `channel_switch_events`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
Allowed values are spelled out here rather than imported, so this revision never changes when
the code does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_PHONE_STATES = "'standby', 'scheduled', 'leased', 'dialing', 'done', 'exhausted', 'blocked'"
NEW_PHONE_STATES = f"{OLD_PHONE_STATES}, 'switched'"


def upgrade() -> None:
    _set_phone_states(NEW_PHONE_STATES)
    _create_channel_switch_events()


def downgrade() -> None:
    op.drop_table("channel_switch_events")
    # 0005 has no 'switched' state: a switched phone becomes exhausted, which 0005 never redials.
    op.execute("UPDATE phone_schedule SET state = 'exhausted' WHERE state = 'switched'")
    _set_phone_states(OLD_PHONE_STATES)


def _set_phone_states(states: str) -> None:
    op.drop_constraint("ck_phone_schedule_state", "phone_schedule", type_="check")
    op.create_check_constraint("ck_phone_schedule_state", "phone_schedule", f"state IN ({states})")


def _create_channel_switch_events() -> None:
    op.create_table(
        "channel_switch_events",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("attempt_id", sa.UUID(as_uuid=True), nullable=False),
        sa.Column("ineffective_attempts", sa.Integer, nullable=False),
        sa.Column("within_days", sa.Integer, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_channel_switch_events"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_channel_switch_events_campaign_id"
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_channel_switch_events_lead_id"),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["call_attempts.attempt_id"],
            name="fk_channel_switch_events_attempt_id",
        ),
        sa.UniqueConstraint(
            "campaign_id", "lead_id", name="uq_channel_switch_events_campaign_id_lead_id"
        ),
        sa.CheckConstraint(
            "ineffective_attempts >= 1", name="ck_channel_switch_events_ineffective_attempts"
        ),
        sa.CheckConstraint("within_days >= 1", name="ck_channel_switch_events_within_days"),
    )
