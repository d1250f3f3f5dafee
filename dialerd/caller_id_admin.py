"""`dialerd caller-id list|retire|restore`: a campaign's pool numbers, by hand.

A state change is written to PostgreSQL's audit log (`caller_id_state_changes`), which every
running node reads within seconds, and to Redis when one is configured. `list` shows each
number's state, today's use and why it is in that state.
"""

from __future__ import annotations

from datetime import datetime

from caller_id_pool import (
    CallerIdStore,
    InvalidTransition,
    NumberState,
    RedisStore,
    StateChange,
    pool_status,
    render_status,
    transition,
    with_states,
)
from dialerd.app import database_url, open_caller_id_store
from dialerd.config import Campaign, MainConfig
from dialerd.errors import DialerdError
from dialerd.rotation import build_classifier, build_pool
from dialerd.storage import PgStore
from dialerd.storage.caller_ids import PgCallerIdLog


class NoPool(DialerdError):
    """The campaign has no caller-ID pool, or the number is not in it."""


def _pool_settings(campaign: Campaign) -> tuple[str, ...]:
    if campaign.caller_ids is None:
        raise NoPool(f"campaign {campaign.name!r} has no caller_ids pool")
    return tuple(n.number for n in campaign.caller_ids.numbers)


async def list_pool(config: MainConfig, campaign: Campaign, now: datetime) -> str:
    _pool_settings(campaign)
    assert campaign.caller_ids is not None
    store = PgStore(database_url(config.database.url, config.database.reveal()), pool_size=1)
    try:
        records = PgCallerIdLog(store)
        caller_ids = await open_caller_id_store(config, records, now)
        pool = build_pool(campaign.caller_ids, build_classifier(campaign.caller_ids))
        states = await records.latest_states()
        await _sync_states(caller_ids, states)
        statuses = await pool_status(pool, caller_ids, now)
        await _close(caller_ids)
        return render_status(statuses)
    finally:
        await store.close()


async def change_state(
    config: MainConfig,
    campaign: Campaign,
    number: str,
    target: NumberState,
    *,
    reason: str,
    now: datetime,
) -> StateChange:
    if number not in _pool_settings(campaign):
        raise NoPool(f"{number} is not in the caller_ids pool of campaign {campaign.name!r}")
    assert campaign.caller_ids is not None
    store = PgStore(database_url(config.database.url, config.database.reveal()), pool_size=1)
    try:
        records = PgCallerIdLog(store)
        pool = build_pool(campaign.caller_ids, build_classifier(campaign.caller_ids))
        current = {n.number: n for n in with_states(pool, await records.latest_states())}
        change = transition(current[number], target, reason, now, actor="admin")
        await records.record_state(change)
        if config.redis is not None:
            caller_ids = await open_caller_id_store(config, records, now)
            await caller_ids.record_state(change)
            await _close(caller_ids)
        return change
    finally:
        await store.close()


async def _sync_states(store: CallerIdStore, states: dict[str, StateChange]) -> None:
    """The store shows PostgreSQL's audit log, which is the truth for every node."""
    known = await store.states()
    for number, change in states.items():
        if known.get(number) != change:
            await store.record_state(change)


async def _close(store: CallerIdStore) -> None:
    if isinstance(store, RedisStore):
        await store.aclose()


__all__ = ["InvalidTransition", "NoPool", "change_state", "list_pool"]
