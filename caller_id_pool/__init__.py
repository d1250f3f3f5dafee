"""Caller-ID pool: which of the business's own numbers to present on each dial, and why.

Never the caller ID the customer saw on their previous attempt; a familiar one first (same
operator, area code, region); the least used within caps and cooldowns; numbers whose
answer rate falls significantly below their peers' are quarantined and reported.

* `select` (pure) ranks candidates with reasons; a store's atomic `reserve` takes one;
  `reserve_caller_ids` does both for a batch of dials (`reserve_caller_id` for one).
* `InProcessStore` (one node) and `RedisStore` (several nodes) share one contract;
  `rebuild` restores either from the presentations PostgreSQL keeps.
* `check_health` / `apply_health` watch the numbers; `retire`, `restore`, `pool_status`
  serve `dialerd caller-id`.

Imports nothing from `dialerd`. Errors: see `caller_id_pool.errors`. Rules and guardrails:
docs/caller-id.md.
"""

from caller_id_pool.admin import (
    NumberStatus,
    apply_health,
    change_state,
    pool_status,
    render_status,
    restore,
    restored_at,
    retire,
    transition,
    with_states,
)
from caller_id_pool.classify import (
    DEFAULT_PREFIXES,
    Classifier,
    PrefixEntry,
    PrefixTable,
    canonical_operator,
    prefix_entry,
)
from caller_id_pool.errors import (
    CallerIdError,
    InvalidNumber,
    InvalidTransition,
    StoreFailed,
    StoreUnavailable,
)
from caller_id_pool.health import (
    Comparison,
    HealthSettings,
    HourOutcomes,
    Verdict,
    check_health,
    quarantines,
)
from caller_id_pool.memory_store import InProcessStore
from caller_id_pool.model import (
    TIERS,
    Blocked,
    Candidate,
    Caps,
    Chosen,
    CustomerHistory,
    Dial,
    NoneAvailable,
    NumberState,
    PoolNumber,
    Presentation,
    Profile,
    RebuildReport,
    Reservation,
    ReserveRequest,
    Rules,
    Selection,
    Snapshot,
    StateChange,
    Tier,
    Usage,
)
from caller_id_pool.redis_store import RedisStore
from caller_id_pool.selector import select
from caller_id_pool.store import CallerIdStore, reserve_caller_id, reserve_caller_ids

__all__ = [
    "DEFAULT_PREFIXES",
    "TIERS",
    "Blocked",
    "CallerIdError",
    "CallerIdStore",
    "Candidate",
    "Caps",
    "Chosen",
    "Classifier",
    "Comparison",
    "CustomerHistory",
    "Dial",
    "HealthSettings",
    "HourOutcomes",
    "InProcessStore",
    "InvalidNumber",
    "InvalidTransition",
    "NoneAvailable",
    "NumberState",
    "NumberStatus",
    "PoolNumber",
    "PrefixEntry",
    "PrefixTable",
    "Presentation",
    "Profile",
    "RebuildReport",
    "RedisStore",
    "Reservation",
    "ReserveRequest",
    "Rules",
    "Selection",
    "Snapshot",
    "StateChange",
    "StoreFailed",
    "StoreUnavailable",
    "Tier",
    "Usage",
    "Verdict",
    "apply_health",
    "canonical_operator",
    "change_state",
    "check_health",
    "pool_status",
    "prefix_entry",
    "quarantines",
    "render_status",
    "reserve_caller_id",
    "reserve_caller_ids",
    "restore",
    "restored_at",
    "retire",
    "select",
    "transition",
    "with_states",
]
