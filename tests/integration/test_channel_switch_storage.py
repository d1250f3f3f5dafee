"""Channel switches against the lab's PostgreSQL: counted from stored attempts when outcomes
are written, recorded once, the lead's phones out of the schedule; revision 0006's downgrade."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from dialerd.channel_switch import SwitchRules
from dialerd.config import ChannelSwitchSettings
from dialerd.domain import AttemptResult, NextDial, Outcome, PhoneState
from dialerd.storage import PgStore, downgrade, migrate
from dialerd.storage.connect import make_engine
from dialerd.storage.testing import throwaway_database
from tests.integration.lab import Lab
from tests.integration.test_storage import NODE_A, T0, new_attempt, new_campaign, seed_lead

DAY = timedelta(days=1)
EVENTS = """SELECT campaign_id, lead_id, attempt_id, ineffective_attempts, within_days, created_at
            FROM channel_switch_events WHERE campaign_id = :c ORDER BY id"""
STATES = "SELECT state FROM phone_schedule WHERE lead_id = :l ORDER BY phone_id"


async def rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as connection:
        result = [tuple(r) for r in await connection.execute(sa.text(sql), params)]
    await engine.dispose()
    return result


async def dial(
    store: PgStore, campaign_id: int, outcome: Outcome, at: timedelta, rules: SwitchRules
) -> tuple[int, uuid.UUID] | None:
    """Claim the campaign's due phone, dial it at T0 + at, end it with `outcome` and plan a
    retry a minute later; (lead id, attempt id), or None when nothing was due."""
    due = await store.claim_due_phones(campaign_id, NODE_A, 1, 30.0, T0 + at)
    if not due:
        return None
    attempt = new_attempt(due[0], NODE_A, T0 + at)
    await store.create_attempt(attempt)
    ended = T0 + at + timedelta(seconds=30)
    result = AttemptResult(attempt.attempt_id, outcome, ended_at=ended)
    retry = NextDial(due[0].phone_id, PhoneState.SCHEDULED, ended + timedelta(minutes=1))
    await store.record_results([(result, [retry])], rules)
    return due[0].lead_id, attempt.attempt_id


async def test_third_ineffective_attempt_in_the_window_switches_the_lead_once(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    rules = {campaign: ChannelSwitchSettings(after_ineffective=3, within_days=60)}
    await seed_lead(db_url, campaign, 2)
    outcomes = [Outcome.NO_ANSWER, Outcome.CANCELLED, Outcome.BUSY, Outcome.MACHINE]
    done = [await dial(store, campaign, o, i * DAY, rules) for i, o in enumerate(outcomes)]
    assert None not in done
    last = done[-1]
    assert last is not None
    lead_id, last_attempt = last
    ended = T0 + 3 * DAY + timedelta(seconds=30)
    # cancelled does not count: the machine answer is the third ineffective attempt
    assert await rows(db_url, EVENTS, c=campaign) == [
        (campaign, lead_id, last_attempt, 3, 60, ended)
    ]
    assert await rows(db_url, STATES, l=lead_id) == [("switched",), ("switched",)]
    assert await dial(store, campaign, Outcome.NO_ANSWER, 10 * DAY, rules) is None
    # replaying the outcome changes nothing and records nothing twice
    result = AttemptResult(last_attempt, Outcome.MACHINE, ended_at=ended)
    await store.record_results([(result, [])], rules)
    assert len(await rows(db_url, EVENTS, c=campaign)) == 1


async def test_attempts_older_than_the_window_and_answered_calls_do_not_count(
    store: PgStore, db_url: str
) -> None:
    campaign = await new_campaign(store)
    rules = {campaign: ChannelSwitchSettings(after_ineffective=2, within_days=7)}
    await seed_lead(db_url, campaign, 1)
    first = await dial(store, campaign, Outcome.NO_ANSWER, 0 * DAY, rules)
    assert first is not None
    await dial(store, campaign, Outcome.NO_ANSWER, 8 * DAY, rules)  # the first is 8 days old
    assert await rows(db_url, EVENTS, c=campaign) == []
    assert await rows(db_url, STATES, l=first[0]) == [("scheduled",)]
    await dial(store, campaign, Outcome.FAILED, 9 * DAY, rules)  # two within 7 days
    assert [r[3:5] for r in await rows(db_url, EVENTS, c=campaign)] == [(2, 7)]


async def test_no_rule_no_switch_and_rules_are_per_campaign(store: PgStore, db_url: str) -> None:
    ruled, free = await new_campaign(store), await new_campaign(store)
    rules = {ruled: ChannelSwitchSettings(after_ineffective=1, within_days=1)}
    await seed_lead(db_url, free, 1)
    lead = await dial(store, free, Outcome.NO_ANSWER, 0 * DAY, rules)
    assert lead is not None
    assert await rows(db_url, EVENTS, c=free) == []
    assert await rows(db_url, STATES, l=lead[0]) == [("scheduled",)]


async def test_0006_downgrades_to_0005_and_back(lab: Lab) -> None:
    tables = "SELECT tablename FROM pg_tables WHERE tablename = 'channel_switch_events'"
    async with throwaway_database(lab.database_url) as url:
        assert await migrate(url, "0006") == "0006"
        assert await rows(url, tables) == [("channel_switch_events",)]
        assert await downgrade(url, "0005") == "0005"
        assert await rows(url, tables) == []
        assert await migrate(url, "0006") == "0006"
