"""The follow-up outbox takes a new kind: ``call_connected`` (screen pop, docs/agents.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Hand-written: ``dialerd/storage/tables.py`` must describe the same schema (a test compares them).
The kinds are spelled out here rather than imported, so this revision never changes when the
code does.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
# Written as "0007" (as asked), then "0008" (inbound's); "0009" since callbacks' 0009 was merged.
down_revision = "0009"
branch_labels = None
depends_on = None

BEFORE = (
    "'missed_call', 'dropped_call', 'channel_switch', "
    "'callback_requested', 'callback_deadline_met', 'callback_missed'"
)
AFTER = BEFORE + ", 'call_connected'"


def _kinds(kinds: str) -> None:
    op.drop_constraint("ck_followup_events_kind", "followup_events", type_="check")
    op.create_check_constraint("ck_followup_events_kind", "followup_events", f"kind IN ({kinds})")


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM followup_events WHERE kind = 'call_connected'")
    _kinds(BEFORE)
