"""The PostgreSQL schema, defined once.

The hand-written migrations in ``migrations/versions`` create exactly this; a test compares the
migrated database with this metadata. Table and column names are a public interface
(``docs/schema.md``): analysts and downstream tools query them.

Only ``phone_schedule.phone_id`` references ``lead_phones``: its ``campaign_id`` and ``lead_id`` are
copies kept for the claim index, so bulk imports skip two foreign-key checks a row.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from dialerd.domain import Outcome, PhoneState, PhoneType

__all__ = [
    "ACTIVE_STATES",
    "DISPOSITION_PATTERN",
    "E164_PATTERN",
    "asterisk_cdr",
    "blocked_dials",
    "call_attempts",
    "callback_requests",
    "caller_id_state_changes",
    "campaigns",
    "channel_switch_events",
    "dispositions",
    "do_not_call",
    "followup_events",
    "inbound_calls",
    "lead_phones",
    "leads",
    "metadata",
    "phone_schedule",
    "promo_codes",
]

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
# A disposition code: lower case, digits, _ and -, up to 40 characters ("sale", "callback").
DISPOSITION_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"

# At most one phone of a lead may be in these states at once: the others wait on standby.
ACTIVE_STATES = (PhoneState.SCHEDULED, PhoneState.LEASED, PhoneState.DIALING)

metadata = sa.MetaData()


def _one_of(column: str, values: Iterable[enum.StrEnum]) -> str:
    listed = ", ".join(f"'{value.value}'" for value in values)
    return f"{column} IN ({listed})"


def _created_at() -> sa.Column[datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _timestamp(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    _created_at(),
    sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    sa.UniqueConstraint("name", name="uq_campaigns_name"),
)

leads = sa.Table(
    "leads",
    metadata,
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

lead_phones = sa.Table(
    "lead_phones",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("phone_type", sa.Text, nullable=False, server_default=PhoneType.UNKNOWN.value),
    sa.Column("position", sa.SmallInteger, nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_lead_phones"),
    sa.ForeignKeyConstraint(
        ["lead_id"], ["leads.id"], name="fk_lead_phones_lead_id", ondelete="CASCADE"
    ),
    sa.UniqueConstraint("lead_id", "number", name="uq_lead_phones_lead_id_number"),
    sa.CheckConstraint(f"number ~ '{E164_PATTERN}'", name="ck_lead_phones_number_e164"),
    sa.CheckConstraint(_one_of("phone_type", PhoneType), name="ck_lead_phones_phone_type"),
    sa.CheckConstraint("position >= 0", name="ck_lead_phones_position"),
    sa.Index("ix_lead_phones_number", "number"),
)

phone_schedule = sa.Table(
    "phone_schedule",
    metadata,
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
    sa.CheckConstraint(_one_of("state", PhoneState), name="ck_phone_schedule_state"),
    sa.CheckConstraint(
        f"last_outcome IS NULL OR {_one_of('last_outcome', Outcome)}",
        name="ck_phone_schedule_last_outcome",
    ),
    sa.CheckConstraint(
        "state <> 'scheduled' OR next_dial_at IS NOT NULL", name="ck_phone_schedule_scheduled_at"
    ),
    sa.CheckConstraint(
        "state <> 'leased' OR (leased_by IS NOT NULL AND lease_until IS NOT NULL)",
        name="ck_phone_schedule_lease",
    ),
    sa.CheckConstraint("attempts >= 0", name="ck_phone_schedule_attempts"),
    sa.Index("ix_phone_schedule_claim", "campaign_id", "state", "next_dial_at"),
    sa.Index(
        "uq_phone_schedule_one_active_per_lead",
        "lead_id",
        unique=True,
        postgresql_where=sa.text(_one_of("state", ACTIVE_STATES)),
    ),
)

call_attempts = sa.Table(
    "call_attempts",
    metadata,
    sa.Column("attempt_id", UUID(as_uuid=True), nullable=False),
    sa.Column("campaign_id", sa.BigInteger, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("phone_id", sa.BigInteger, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("caller_id", sa.Text, nullable=True),
    sa.Column("attempt_number", sa.Integer, nullable=False),
    sa.Column("node", sa.Text, nullable=False),
    _created_at(),
    _timestamp("originated_at"),
    _timestamp("answered_at"),
    _timestamp("agent_connected_at"),
    _timestamp("ended_at"),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("ast_reason", sa.Integer, nullable=True),
    sa.Column("hangup_cause", sa.Integer, nullable=True),
    sa.Column("agent", sa.Text, nullable=True),
    sa.Column("hold_s", sa.REAL, nullable=True),
    sa.Column("talk_s", sa.REAL, nullable=True),
    _timestamp("reconciled_at"),
    sa.Column("outcome_before", sa.Text, nullable=True),
    sa.Column("amd_status", sa.Text, nullable=True),  # answering machine detection (0012)
    sa.Column("amd_cause", sa.Text, nullable=True),
    sa.Column("amd_ms", sa.Integer, nullable=True),
    sa.Column("amd_action", sa.Text, nullable=True),
    sa.PrimaryKeyConstraint("attempt_id", name="pk_call_attempts"),
    sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_call_attempts_campaign_id"),
    sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_call_attempts_lead_id"),
    sa.ForeignKeyConstraint(["phone_id"], ["lead_phones.id"], name="fk_call_attempts_phone_id"),
    sa.CheckConstraint(
        f"outcome IS NULL OR {_one_of('outcome', Outcome)}", name="ck_call_attempts_outcome"
    ),
    sa.CheckConstraint(
        "(ended_at IS NULL) = (outcome IS NULL)", name="ck_call_attempts_ended_with_outcome"
    ),
    sa.CheckConstraint("attempt_number >= 1", name="ck_call_attempts_attempt_number"),
    sa.CheckConstraint(
        "amd_action IS NULL OR amd_action IN ('agent', 'hangup', 'message')",
        name="ck_call_attempts_amd_action",
    ),
    sa.Index("ix_call_attempts_campaign_id_created_at", "campaign_id", "created_at"),
    sa.Index("ix_call_attempts_phone_id_created_at", "phone_id", "created_at"),
    sa.Index("ix_call_attempts_lead_id_created_at", "lead_id", "created_at"),
    sa.Index(
        "ix_call_attempts_open_by_node",
        "node",
        postgresql_where=sa.text("ended_at IS NULL"),
    ),
    # What the CDR reconciler looks for (0011): attempts that ended unknown, not yet settled.
    sa.Index(
        "ix_call_attempts_unreconciled",
        "ended_at",
        postgresql_where=sa.text("outcome = 'unknown' AND reconciled_at IS NULL"),
    ),
    # Voicemail drops per lead, for amd.messages_per_lead_per_day (0012).
    sa.Index(
        "ix_call_attempts_voicemail_drops",
        "lead_id",
        "ended_at",
        postgresql_where=sa.text("amd_action = 'message'"),
    ),
)

# The audit log of caller-ID pool numbers' states (active, quarantined, retired): who moved a
# number, when and why. The newest row of a number is its state on every node.
caller_id_state_changes = sa.Table(
    "caller_id_state_changes",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("previous", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_caller_id_state_changes"),
    sa.CheckConstraint(
        "previous IN ('active', 'quarantined', 'retired')",
        name="ck_caller_id_state_changes_previous",
    ),
    sa.CheckConstraint(
        "state IN ('active', 'quarantined', 'retired')", name="ck_caller_id_state_changes_state"
    ),
    sa.Index("ix_caller_id_state_changes_number_id", "number", "id"),
)
# The health check and the Redis rebuild read attempts by the caller ID they presented.
sa.Index(
    "ix_call_attempts_caller_id_created_at", call_attempts.c.caller_id, call_attempts.c.created_at
)

# The attempt limits of scope number count a number's attempts across every campaign (0004).
sa.Index("ix_call_attempts_number_created_at", call_attempts.c.number, call_attempts.c.created_at)

# A do-not-call entry names a number or a lead, on the global list (campaign_id null) or on one
# campaign's list; it applies until expires_at (never, when null).
do_not_call = sa.Table(
    "do_not_call",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("campaign_id", sa.BigInteger, nullable=True),
    sa.Column("number", sa.Text, nullable=True),
    sa.Column("lead_id", sa.BigInteger, nullable=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    _created_at(),
    _timestamp("expires_at"),
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
        f"number IS NULL OR number ~ '{E164_PATTERN}'", name="ck_do_not_call_number_e164"
    ),
    sa.Index("ix_do_not_call_number", "number"),
    sa.Index("ix_do_not_call_lead_id", "lead_id"),
)

# One row per dial a do-not-call entry stopped before any attempt existed: call_attempts stays
# one row per Originate sent, so attempt counts, retry caps and answer rates are not diluted.
blocked_dials = sa.Table(
    "blocked_dials",
    metadata,
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
    sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_blocked_dials_campaign_id"),
    sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_blocked_dials_lead_id"),
    sa.ForeignKeyConstraint(["phone_id"], ["lead_phones.id"], name="fk_blocked_dials_phone_id"),
    sa.ForeignKeyConstraint(
        ["entry_id"], ["do_not_call.id"], name="fk_blocked_dials_entry_id", ondelete="SET NULL"
    ),
    sa.Index("ix_blocked_dials_campaign_id_blocked_at", "campaign_id", "blocked_at"),
    sa.Index("ix_blocked_dials_phone_id", "phone_id"),
)

# An agent's outcome of a call (sale, callback, not_interested, or a code of the centre's own),
# from the dialplan's DialerdDisposition user event, `dialerd disposition` or the HTTP API. A
# history: a second one for an attempt corrects the first, which stays (latest_dispositions).
dispositions = sa.Table(
    "dispositions",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("attempt_id", UUID(as_uuid=True), nullable=False),
    sa.Column("disposition", sa.Text, nullable=False),
    sa.Column("agent", sa.Text, nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.Text, nullable=False),
    _created_at(),
    _timestamp("callback_at"),  # a callback disposition's time (migration 0013)
    sa.PrimaryKeyConstraint("id", name="pk_dispositions"),
    sa.ForeignKeyConstraint(
        ["attempt_id"], ["call_attempts.attempt_id"], name="fk_dispositions_attempt_id"
    ),
    sa.CheckConstraint(
        f"disposition ~ '{DISPOSITION_PATTERN}'", name="ck_dispositions_disposition"
    ),
    sa.CheckConstraint("source IN ('ami', 'cli', 'api')", name="ck_dispositions_source"),
    sa.Index("ix_dispositions_attempt_id_id", "attempt_id", "id"),
)

# A lead a campaign stopped calling after too many ineffective attempts (retry.channel_switch):
# the outbox another channel (SMS, e-mail) delivers from. One row per campaign and lead.
channel_switch_events = sa.Table(
    "channel_switch_events",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("campaign_id", sa.BigInteger, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("attempt_id", UUID(as_uuid=True), nullable=False),
    sa.Column("ineffective_attempts", sa.Integer, nullable=False),
    sa.Column("within_days", sa.Integer, nullable=False),
    _created_at(),
    sa.PrimaryKeyConstraint("id", name="pk_channel_switch_events"),
    sa.ForeignKeyConstraint(
        ["campaign_id"], ["campaigns.id"], name="fk_channel_switch_events_campaign_id"
    ),
    sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_channel_switch_events_lead_id"),
    sa.ForeignKeyConstraint(
        ["attempt_id"], ["call_attempts.attempt_id"], name="fk_channel_switch_events_attempt_id"
    ),
    sa.UniqueConstraint(
        "campaign_id", "lead_id", name="uq_channel_switch_events_campaign_id_lead_id"
    ),
    sa.CheckConstraint(
        "ineffective_attempts >= 1", name="ck_channel_switch_events_ineffective_attempts"
    ),
    sa.CheckConstraint("within_days >= 1", name="ck_channel_switch_events_within_days"),
)

# The outbox of follow-up events (docs/followups.md): written in the transaction that records
# the outcome calling for them, sent by dialerd.webhooks. A kind is text checked against the
# list, so a new kind (a channel switch, a callback) is one more value, not a new table.
FOLLOWUP_KINDS = (
    "'missed_call', 'dropped_call', 'channel_switch', "
    "'callback_requested', 'callback_deadline_met', 'callback_missed', 'call_connected'"
)
followup_events = sa.Table(
    "followup_events",
    metadata,
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
    _timestamp("sent_at"),
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
    sa.CheckConstraint(f"kind IN ({FOLLOWUP_KINDS})", name="ck_followup_events_kind"),
    sa.CheckConstraint("state IN ('pending', 'sent', 'dead')", name="ck_followup_events_state"),
    sa.CheckConstraint("tries >= 0", name="ck_followup_events_tries"),
    sa.Index(
        "ix_followup_events_due",
        "next_try_at",
        postgresql_where=sa.text("state = 'pending'"),
    ),
    sa.Index("ix_followup_events_lead_id", "lead_id"),
)

# One promo code per customer, kept: a second dropped call apologises with the same code.
promo_codes = sa.Table(
    "promo_codes",
    metadata,
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    _created_at(),
    sa.PrimaryKeyConstraint("lead_id", name="pk_promo_codes"),
    sa.UniqueConstraint("code", name="uq_promo_codes_code"),
    sa.ForeignKeyConstraint(
        ["lead_id"], ["leads.id"], name="fk_promo_codes_lead_id", ondelete="CASCADE"
    ),
)

# A customer's call to a caller-ID pool number (docs/callbacks.md): who called (lead_id null:
# nobody we know), the pool number they called back, the campaign and attempt that had called
# them, where the call went and how it ended. ended_at null: its end was not seen (yet).
inbound_calls = sa.Table(
    "inbound_calls",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("uniqueid", sa.Text, nullable=False),
    sa.Column("called", sa.Text, nullable=False),
    sa.Column("caller", sa.Text, nullable=True),
    sa.Column("caller_raw", sa.Text, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=True),
    sa.Column("campaign_id", sa.BigInteger, nullable=True),
    sa.Column("attempt_id", UUID(as_uuid=True), nullable=True),
    sa.Column("route", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("queue", sa.Text, nullable=True),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("agent", sa.Text, nullable=True),
    sa.Column("node", sa.Text, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    _timestamp("ended_at"),
    sa.PrimaryKeyConstraint("id", name="pk_inbound_calls"),
    sa.ForeignKeyConstraint(
        ["lead_id"], ["leads.id"], name="fk_inbound_calls_lead_id", ondelete="SET NULL"
    ),
    sa.ForeignKeyConstraint(
        ["campaign_id"], ["campaigns.id"], name="fk_inbound_calls_campaign_id", ondelete="SET NULL"
    ),
    sa.ForeignKeyConstraint(
        ["attempt_id"],
        ["call_attempts.attempt_id"],
        name="fk_inbound_calls_attempt_id",
        ondelete="SET NULL",
    ),
    sa.CheckConstraint("route IN ('queue', 'message')", name="ck_inbound_calls_route"),
    sa.CheckConstraint(
        "outcome IN ('queued', 'answered', 'message', 'opted_out', 'callback_requested')",
        name="ck_inbound_calls_outcome",
    ),
    sa.CheckConstraint(
        f"caller IS NULL OR caller ~ '{E164_PATTERN}'", name="ck_inbound_calls_caller_e164"
    ),
    sa.Index("ix_inbound_calls_started_at", "started_at"),
    sa.Index("ix_inbound_calls_lead_id", "lead_id"),
    sa.Index("ix_inbound_calls_caller", "caller"),
)

callback_requests = sa.Table(
    "callback_requests",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("campaign_id", sa.BigInteger, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("phone_id", sa.BigInteger, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempt_id", UUID(as_uuid=True), nullable=True),
    _timestamp("dialled_at"),
    _timestamp("connected_at"),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("met", sa.Boolean, nullable=True),
    _timestamp("settled_at"),
    sa.Column("agent", sa.Text, nullable=True),  # the owner; null: anyone (migration 0013)
    sa.PrimaryKeyConstraint("id", name="pk_callback_requests"),
    sa.ForeignKeyConstraint(
        ["campaign_id"], ["campaigns.id"], name="fk_callback_requests_campaign_id"
    ),
    sa.ForeignKeyConstraint(
        ["lead_id"], ["leads.id"], name="fk_callback_requests_lead_id", ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
        ["phone_id"], ["lead_phones.id"], name="fk_callback_requests_phone_id", ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
        ["attempt_id"], ["call_attempts.attempt_id"], name="fk_callback_requests_attempt_id"
    ),
    sa.CheckConstraint(
        "source IN ('api', 'cli', 'disposition')", name="ck_callback_requests_source"
    ),
    sa.CheckConstraint("deadline >= requested_at", name="ck_callback_requests_deadline"),
    sa.CheckConstraint("(met IS NULL) = (settled_at IS NULL)", name="ck_callback_requests_settled"),
    sa.Index(
        "ix_callback_requests_open",
        "campaign_id",
        "due_at",
        postgresql_where=sa.text("settled_at IS NULL"),
    ),
    sa.Index("ix_callback_requests_lead_id", "lead_id"),
    sa.Index(
        "uq_callback_requests_one_open_per_lead",
        "lead_id",
        unique=True,
        postgresql_where=sa.text("settled_at IS NULL"),
    ),
)


def _cdr_text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=False, server_default="")


# Asterisk's own CDRs, written by its cdr_pgsql module (0011): it fills every column named like
# a CDR variable. Times are UTC without a zone (cdr_pgsql writes none; timezone=UTC).
asterisk_cdr = sa.Table(
    "asterisk_cdr",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("start", sa.DateTime(timezone=False), nullable=True),
    sa.Column("answer", sa.DateTime(timezone=False), nullable=True),
    sa.Column("end", sa.DateTime(timezone=False), nullable=True),
    *[
        _cdr_text(name)
        for name in ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp")
    ],
    _cdr_text("lastdata"),
    sa.Column("duration", sa.Integer, nullable=False, server_default="0"),
    sa.Column("billsec", sa.Integer, nullable=False, server_default="0"),
    _cdr_text("disposition"),
    sa.Column("amaflags", sa.Integer, nullable=False, server_default="0"),
    *[
        _cdr_text(name)
        for name in ("accountcode", "uniqueid", "userfield", "linkedid", "peeraccount")
    ],
    sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint("id", name="pk_asterisk_cdr"),
    sa.Index("ix_asterisk_cdr_uniqueid", "uniqueid"),
)
