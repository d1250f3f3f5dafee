"""Do-not-call lists, the record of every dial they blocked, and the phone state `blocked`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
Allowed values are spelled out here rather than imported, so this revision never changes when
the code does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

E164 = r"^\+[1-9][0-9]{6,14}$"
OLD_PHONE_STATES = "'standby', 'scheduled', 'leased', 'dialing', 'done', 'exhausted'"
NEW_PHONE_STATES = f"{OLD_PHONE_STATES}, 'blocked'"


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    _set_phone_states(NEW_PHONE_STATES)
    _create_do_not_call()
    _create_blocked_dials()


def downgrade() -> None:
    op.drop_table("blocked_dials")
    op.drop_table("do_not_call")
    # 0001 has no 'blocked' state: a blocked phone becomes exhausted, which 0001 never redials.
    op.execute("UPDATE phone_schedule SET state = 'exhausted' WHERE state = 'blocked'")
    _set_phone_states(OLD_PHONE_STATES)


def _set_phone_states(states: str) -> None:
    op.drop_constraint("ck_phone_schedule_state", "phone_schedule", type_="check")
    op.create_check_constraint("ck_phone_schedule_state", "phone_schedule", f"state IN ({states})")


def _create_do_not_call() -> None:
    op.create_table(
        "do_not_call",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=True),
        sa.Column("number", sa.Text, nullable=True),
        sa.Column("lead_id", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        _created_at(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_do_not_call"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_do_not_call_campaign_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_do_not_call_lead_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "(number IS NULL) <> (lead_id IS NULL)", name="ck_do_not_call_number_or_lead"
        ),
        sa.CheckConstraint(
            f"number IS NULL OR number ~ '{E164}'", name="ck_do_not_call_number_e164"
        ),
    )
    op.create_index("ix_do_not_call_number", "do_not_call", ["number"])
    op.create_index("ix_do_not_call_lead_id", "do_not_call", ["lead_id"])


def _create_blocked_dials() -> None:
    op.create_table(
        "blocked_dials",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("phone_id", sa.BigInteger, nullable=False),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("entry_id", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("node", sa.Text, nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_blocked_dials"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_blocked_dials_campaign_id"
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_blocked_dials_lead_id"),
        sa.ForeignKeyConstraint(["phone_id"], ["lead_phones.id"], name="fk_blocked_dials_phone_id"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["do_not_call.id"], name="fk_blocked_dials_entry_id", ondelete="SET NULL"
        ),
    )
    op.create_index(
        "ix_blocked_dials_campaign_id_blocked_at", "blocked_dials", ["campaign_id", "blocked_at"]
    )
    op.create_index("ix_blocked_dials_phone_id", "blocked_dials", ["phone_id"])
