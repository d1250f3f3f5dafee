"""Dispositions that act: a callback's time on the disposition, callbacks booked by one.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

``dispositions.callback_at``: the time an agent's ``callback`` disposition booked.
``callback_requests.agent``: the agent who owns a callback (null: anyone may take it), and
``source`` may now be ``disposition``. docs/agents.md says what each code does.

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_SOURCE = "ck_callback_requests_source"


def upgrade() -> None:
    op.add_column(
        "dispositions", sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("callback_requests", sa.Column("agent", sa.Text, nullable=True))
    op.drop_constraint(_SOURCE, "callback_requests", type_="check")
    op.create_check_constraint(
        _SOURCE, "callback_requests", "source IN ('api', 'cli', 'disposition')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM callback_requests WHERE source = 'disposition'")
    op.drop_constraint(_SOURCE, "callback_requests", type_="check")
    op.create_check_constraint(_SOURCE, "callback_requests", "source IN ('api', 'cli')")
    op.drop_column("callback_requests", "agent")
    op.drop_column("dispositions", "callback_at")
