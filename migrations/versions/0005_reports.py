"""Dispositions (an agent's outcome of a call) and the report views and functions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Hand-written: ``dialerd/storage/tables.py`` must describe the same tables (a test compares
them); the views and functions are SQL only, listed in ``dialerd/storage/reports.py`` and
documented in ``docs/reports.md``. Everything is spelled out here rather than imported, so this
revision never changes when the code does.

Each report is a function ``report_x(campaign_name, from_day, to_day)`` (every argument may be
null: no filter) and a view ``report_x`` of the same name over all campaigns and all time. The
days and hours are the customer's local ones: the lead's ``time_zone``, UTC when it has none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CODE = r"^[a-z0-9][a-z0-9_-]{0,39}$"
ARGS = "campaign_name text DEFAULT NULL, from_day date DEFAULT NULL, to_day date DEFAULT NULL"
ATTEMPTS = "report_attempts(campaign_name, from_day, to_day)"

LATEST_DISPOSITIONS = """
CREATE VIEW latest_dispositions AS
SELECT DISTINCT ON (attempt_id) id, attempt_id, disposition, agent, note, source, created_at
FROM dispositions
ORDER BY attempt_id, id DESC
"""

# One row per call placed whose result is known (cancelled and unknown ones left out). The
# created_at bounds are a superset of the local days (no zone is a day away from UTC) that lets
# ix_call_attempts_campaign_id_created_at do the work; the local day then picks exactly.
REPORT_ATTEMPTS = f"""
CREATE FUNCTION report_attempts({ARGS})
RETURNS TABLE (
    attempt_id uuid, campaign text, lead_id bigint, phone_id bigint, number text,
    phone_type text, phone_position smallint, attempt_number integer, created_at timestamptz,
    time_zone text, local_day date, local_hour integer, outcome text, answered boolean,
    no_answer boolean, agent text, talk_s real, disposition text, disposition_agent text
)
LANGUAGE sql STABLE AS $$
SELECT a.attempt_id, c.name, a.lead_id, a.phone_id, a.number, p.phone_type, p.position,
       a.attempt_number, a.created_at, z.zone,
       (a.created_at AT TIME ZONE z.zone)::date,
       extract(hour FROM a.created_at AT TIME ZONE z.zone)::integer,
       a.outcome, a.outcome IN ('connected', 'abandoned'), a.outcome = 'no_answer',
       a.agent, a.talk_s, d.disposition, d.agent
FROM call_attempts a
JOIN campaigns c ON c.id = a.campaign_id
JOIN leads l ON l.id = a.lead_id
JOIN lead_phones p ON p.id = a.phone_id
CROSS JOIN LATERAL (SELECT coalesce(l.time_zone, 'UTC') AS zone) z
LEFT JOIN latest_dispositions d ON d.attempt_id = a.attempt_id
WHERE a.ended_at IS NOT NULL
  AND a.outcome NOT IN ('cancelled', 'unknown')
  AND (campaign_name IS NULL OR c.name = campaign_name)
  AND (from_day IS NULL OR a.created_at >= (from_day - 1)::timestamp AT TIME ZONE 'UTC')
  AND (to_day IS NULL OR a.created_at < (to_day + 2)::timestamp AT TIME ZONE 'UTC')
  AND (from_day IS NULL OR (a.created_at AT TIME ZONE z.zone)::date >= from_day)
  AND (to_day IS NULL OR (a.created_at AT TIME ZONE z.zone)::date <= to_day)
$$
"""

RATES = """count(*),
       count(*) FILTER (WHERE r.answered),
       count(*) FILTER (WHERE r.no_answer),
       round(100.0 * count(*) FILTER (WHERE r.no_answer) / count(*), 1),
       round(100.0 * count(*) FILTER (WHERE r.answered) / count(*), 1)"""
RATE_COLUMNS = (
    "calls bigint, answered bigint, no_answer bigint, no_answer_pct numeric, answered_pct numeric"
)

# name -> (the bucket column's name and type, the expression over report_attempts r)
NO_ANSWER_BUCKETS = {
    "report_no_answer_by_day": ("day date", "r.local_day"),
    "report_no_answer_by_hour": ("hour integer", "r.local_hour"),
    "report_no_answer_by_number_type": ("phone_type text", "r.phone_type"),
}


def _no_answer_by(name: str, column: str, expression: str) -> str:
    return f"""
CREATE FUNCTION {name}({ARGS})
RETURNS TABLE (campaign text, {column}, {RATE_COLUMNS})
LANGUAGE sql STABLE AS $$
SELECT r.campaign, {expression}, {RATES}
FROM {ATTEMPTS} r
GROUP BY 1, 2
ORDER BY 1, 2
$$
"""


# Unanswered calls have no agent: each call is counted for the agent who took it (connected)
# or else for the agent who last talked to the lead before it (later_*); calls to leads no
# agent has talked to yet are the row whose agent is null.
NO_ANSWER_BY_AGENT = f"""
CREATE FUNCTION report_no_answer_by_agent({ARGS})
RETURNS TABLE (
    campaign text, agent text, taken bigint, talk_s_avg numeric, sales bigint,
    later_calls bigint, later_no_answer bigint, later_no_answer_pct numeric
)
LANGUAGE sql STABLE AS $$
WITH counted AS (
    SELECT r.*, coalesce(r.agent, before.agent) AS counted_agent, r.agent IS NULL AS later
    FROM {ATTEMPTS} r
    LEFT JOIN LATERAL (
        SELECT b.agent FROM call_attempts b
        WHERE b.lead_id = r.lead_id AND b.created_at < r.created_at AND b.agent IS NOT NULL
        ORDER BY b.created_at DESC
        LIMIT 1
    ) before ON r.agent IS NULL
)
SELECT campaign, counted_agent,
       count(*) FILTER (WHERE NOT later),
       round(avg(talk_s) FILTER (WHERE NOT later)::numeric, 1),
       count(*) FILTER (WHERE disposition = 'sale'),
       count(*) FILTER (WHERE later),
       count(*) FILTER (WHERE later AND no_answer),
       round(100.0 * count(*) FILTER (WHERE later AND no_answer)
             / nullif(count(*) FILTER (WHERE later), 0), 1)
FROM counted
GROUP BY 1, 2
ORDER BY 1, 2 NULLS LAST
$$
"""

# never answered; stopped answering: answered once, then 3 or more calls in a row
# unanswered; always answers; sometimes answers (the rest).
NUMBER_ANSWER_PROFILE = f"""
CREATE FUNCTION report_number_answer_profile({ARGS})
RETURNS TABLE (
    campaign text, lead_id bigint, number text, phone_type text, calls bigint,
    answered bigint, no_answer bigint, unanswered_since_last_answer bigint,
    last_answered_at timestamptz, profile text
)
LANGUAGE sql STABLE AS $$
WITH marked AS (
    SELECT r.*, max(r.created_at) FILTER (WHERE r.answered)
                    OVER (PARTITION BY r.phone_id) AS last_answer
    FROM {ATTEMPTS} r
),
per_phone AS (
    SELECT campaign, lead_id, phone_id, phone_position, number, phone_type,
           count(*) AS calls,
           count(*) FILTER (WHERE answered) AS answered,
           count(*) FILTER (WHERE no_answer) AS no_answer,
           count(*) FILTER (WHERE last_answer IS NOT NULL AND created_at > last_answer) AS since,
           max(last_answer) AS last_answered_at
    FROM marked
    GROUP BY campaign, lead_id, phone_id, phone_position, number, phone_type
)
SELECT campaign, lead_id, number, phone_type, calls, answered, no_answer, since,
       last_answered_at,
       CASE
           WHEN answered = 0 THEN 'never answered'
           WHEN since >= 3 THEN 'stopped answering'
           WHEN answered = calls THEN 'always answers'
           ELSE 'sometimes answers'
       END
FROM per_phone
ORDER BY campaign, lead_id, phone_position
$$
"""

SALE_ATTEMPT_NUMBER = f"""
CREATE FUNCTION report_sale_attempt_number({ARGS})
RETURNS TABLE (
    campaign text, attempt_number integer, calls bigint, answered bigint, sales bigint,
    sale_pct numeric, share_of_sales_pct numeric, cumulative_sales_pct numeric
)
LANGUAGE sql STABLE AS $$
WITH per_number AS (
    SELECT r.campaign, r.attempt_number, count(*) AS calls,
           count(*) FILTER (WHERE r.answered) AS answered,
           count(*) FILTER (WHERE r.disposition = 'sale') AS sales
    FROM {ATTEMPTS} r
    GROUP BY 1, 2
)
SELECT campaign, attempt_number, calls, answered, sales,
       round(100.0 * sales / calls, 1),
       round(100.0 * sales / nullif(sum(sales) OVER (PARTITION BY campaign), 0), 1),
       round(100.0 * sum(sales) OVER (PARTITION BY campaign ORDER BY attempt_number)
             / nullif(sum(sales) OVER (PARTITION BY campaign), 0), 1)
FROM per_number
ORDER BY campaign, attempt_number
$$
"""

# Leads with two numbers or more that were called in the period: every number, called or not.
MULTI_NUMBER_LEADS = f"""
CREATE FUNCTION report_multi_number_leads({ARGS})
RETURNS TABLE (
    campaign text, lead_id bigint, external_id text, "position" smallint, number text,
    phone_type text, calls bigint, answered bigint, no_answer bigint, answered_pct numeric,
    sales bigint
)
LANGUAGE sql STABLE AS $$
WITH r AS (SELECT * FROM {ATTEMPTS}),
multi AS (
    SELECT p.lead_id FROM lead_phones p
    WHERE p.lead_id IN (SELECT lead_id FROM r)
    GROUP BY p.lead_id
    HAVING count(*) > 1
)
SELECT c.name, l.id, l.external_id, p.position, p.number, p.phone_type,
       count(r.attempt_id),
       count(*) FILTER (WHERE r.answered),
       count(*) FILTER (WHERE r.no_answer),
       round(100.0 * count(*) FILTER (WHERE r.answered) / nullif(count(r.attempt_id), 0), 1),
       count(*) FILTER (WHERE r.disposition = 'sale')
FROM multi m
JOIN leads l ON l.id = m.lead_id
JOIN campaigns c ON c.id = l.campaign_id
JOIN lead_phones p ON p.lead_id = l.id
LEFT JOIN r ON r.phone_id = p.id
GROUP BY c.name, l.id, l.external_id, p.position, p.number, p.phone_type
ORDER BY c.name, l.id, p.position
$$
"""

REPORTS = (
    "report_no_answer_by_day",
    "report_no_answer_by_agent",
    "report_no_answer_by_number_type",
    "report_no_answer_by_hour",
    "report_number_answer_profile",
    "report_sale_attempt_number",
    "report_multi_number_leads",
)


def upgrade() -> None:
    _create_dispositions()
    op.execute(LATEST_DISPOSITIONS)
    op.execute(REPORT_ATTEMPTS)
    op.execute("CREATE VIEW report_attempts AS SELECT * FROM report_attempts()")
    for name, (column, expression) in NO_ANSWER_BUCKETS.items():
        op.execute(_no_answer_by(name, column, expression))
    for definition in (
        NO_ANSWER_BY_AGENT,
        NUMBER_ANSWER_PROFILE,
        SALE_ATTEMPT_NUMBER,
        MULTI_NUMBER_LEADS,
    ):
        op.execute(definition)
    for name in REPORTS:
        op.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}()")


def downgrade() -> None:
    for name in (*REPORTS, "report_attempts"):
        op.execute(f"DROP VIEW {name}")
        op.execute(f"DROP FUNCTION {name}(text, date, date)")
    op.execute("DROP VIEW latest_dispositions")
    op.drop_table("dispositions")


def _create_dispositions() -> None:
    op.create_table(
        "dispositions",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("attempt_id", sa.UUID(as_uuid=True), nullable=False),
        sa.Column("disposition", sa.Text, nullable=False),
        sa.Column("agent", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dispositions"),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["call_attempts.attempt_id"], name="fk_dispositions_attempt_id"
        ),
        sa.CheckConstraint(f"disposition ~ '{CODE}'", name="ck_dispositions_disposition"),
        sa.CheckConstraint("source IN ('ami', 'cli', 'api')", name="ck_dispositions_source"),
    )
    op.create_index("ix_dispositions_attempt_id_id", "dispositions", ["attempt_id", "id"])
