"""What every `CallerIdStore` does. Run against `InProcessStore` in test_store_contract.py and
against `RedisStore` in tests/integration/test_caller_id_redis.py: each subclass of
`StoreContract` provides a fresh, empty `store` fixture."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from caller_id_pool import (
    CallerIdStore,
    Caps,
    CustomerHistory,
    NoneAvailable,
    NumberState,
    PoolNumber,
    Presentation,
    Reservation,
    ReserveRequest,
    StateChange,
    Usage,
)
from caller_id_pool.keys import HISTORY_KEEP
from tests.unit.caller_id_pool.support import KYIVSTAR, LIFECELL, NOW, VODAFONE_UA, pool_of

A, B, C = pool_of(KYIVSTAR, VODAFONE_UA, LIFECELL)


async def take(
    store: CallerIdStore,
    customer: str,
    attempt: str,
    candidates: Sequence[PoolNumber] = (A, B, C),
    *,
    avoid_last: int = 1,
    now: datetime = NOW,
) -> Reservation:
    request = ReserveRequest(customer, attempt, tuple(candidates), avoid_last)
    (result,) = await store.reserve([request], now)
    assert isinstance(result, Reservation), result
    return result


async def refused(
    store: CallerIdStore,
    customer: str,
    attempt: str,
    candidates: Sequence[PoolNumber],
    *,
    now: datetime = NOW,
    avoid_last: int = 1,
) -> str:
    request = ReserveRequest(customer, attempt, tuple(candidates), avoid_last)
    (result,) = await store.reserve([request], now)
    assert isinstance(result, NoneAvailable), result
    return result.reason


async def history(store: CallerIdStore, customer: str) -> CustomerHistory:
    return (await store.snapshot([customer], [], NOW)).histories[0]


class StoreContract:
    async def test_reserves_the_first_free_candidate_and_counts_it(
        self, store: CallerIdStore
    ) -> None:
        reservation = await take(store, "c1", "t1")
        assert (reservation.number, reservation.reserved_at) == (A.number, NOW)
        snapshot = await store.snapshot(["c1"], [A.number, B.number], NOW)
        assert snapshot.histories[0].presented == (A.number,)
        assert snapshot.usage[A.number] == Usage(1, 1, 1, NOW)
        assert snapshot.usage[B.number] == Usage()

    async def test_never_the_caller_id_the_customer_saw_last(self, store: CallerIdStore) -> None:
        await take(store, "c1", "t1", [A])
        assert await refused(store, "c1", "t2", [A]) == (
            "at reservation: only number is the one the customer saw last; add numbers to the pool"
        )
        assert (await take(store, "c1", "t3", [A, B])).number == B.number
        assert (await take(store, "c1", "t4", [B, A])).number == A.number
        assert (await take(store, "c2", "t5", [A])).number == A.number  # another customer

    async def test_avoid_last_k_skips_the_k_newest(self, store: CallerIdStore) -> None:
        await take(store, "c1", "t1", [A])
        await take(store, "c1", "t2", [B])
        assert (await take(store, "c1", "t3", [A, B, C], avoid_last=2)).number == C.number
        reason = await refused(store, "c1", "t4", [B, C], avoid_last=2)
        assert (
            reason == "at reservation: all 2 numbers shown to this customer in the last 2 attempts"
        )

    async def test_daily_cap_holds_until_the_next_utc_day(self, store: CallerIdStore) -> None:
        (capped,) = pool_of(KYIVSTAR, caps=Caps(per_day=2))
        await take(store, "c1", "t1", [capped])
        await take(store, "c2", "t2", [capped], now=NOW + timedelta(hours=3))
        reason = await refused(store, "c3", "t3", [capped], now=NOW + timedelta(hours=4))
        assert reason == "at reservation: the only number is at its daily cap"
        tomorrow = NOW.replace(hour=0, minute=0, second=1) + timedelta(days=1)
        assert (await take(store, "c3", "t4", [capped], now=tomorrow)).number == capped.number

    async def test_hourly_and_minute_caps_and_cooldown(self, store: CallerIdStore) -> None:
        (hourly,) = pool_of(KYIVSTAR, caps=Caps(per_hour=1))
        (minute,) = pool_of(VODAFONE_UA, caps=Caps(per_minute=1))
        (cooling,) = pool_of(LIFECELL, caps=Caps(cooldown_s=30))
        for number, customer in ((hourly, "h"), (minute, "m"), (cooling, "c")):
            await take(store, f"{customer}1", f"{customer}1", [number])
        later = NOW + timedelta(seconds=10)
        reason = await refused(store, "x", "x1", [hourly, minute, cooling], now=later)
        assert reason == (
            "at reservation: no number available: 1 at its hourly cap, "
            "1 at its per-minute cap, 1 in cooldown"
        )
        next_minute = NOW + timedelta(seconds=31)
        assert (await take(store, "x", "x2", [hourly, minute], now=next_minute)).number == (
            minute.number
        )
        assert (await take(store, "y", "y1", [cooling], now=next_minute)).number == cooling.number

    async def test_a_repeated_attempt_gets_the_same_reservation_counted_once(
        self, store: CallerIdStore
    ) -> None:
        first = await take(store, "c1", "t1")
        again = await take(store, "c1", "t1", now=NOW + timedelta(seconds=5))
        assert again == first
        usage = await store.usage([A.number], NOW)
        assert usage[A.number].today == 1

    async def test_release_undoes_the_reservation(self, store: CallerIdStore) -> None:
        earlier = NOW - timedelta(minutes=5)
        await take(store, "c0", "t0", [A], now=earlier)
        await take(store, "c1", "t1", [B])
        reservation = await take(store, "c1", "t2", [A])
        assert reservation.previous_last_used == earlier
        await store.release(reservation)
        await store.release(reservation)  # twice is once
        snapshot = await store.snapshot(["c1"], [A.number], NOW)
        assert snapshot.histories[0].presented == (B.number,)
        assert snapshot.usage[A.number] == Usage(1, 1, 0, earlier)  # same hour, not minute
        assert (await take(store, "c1", "t3", [B, A])).number == A.number  # B still last seen

    async def test_release_keeps_a_later_use_of_the_number(self, store: CallerIdStore) -> None:
        mine = await take(store, "c1", "t1", [A])
        theirs = await take(store, "c2", "t2", [A], now=NOW + timedelta(seconds=1))
        await store.release(mine)
        usage = (await store.usage([A.number], NOW))[A.number]
        assert (usage.today, usage.last_used) == (1, theirs.reserved_at)

    async def test_history_is_bounded(self, store: CallerIdStore) -> None:
        numbers = (A, B, C)
        for i in range(HISTORY_KEEP + 3):
            await take(store, "c1", f"t{i}", [numbers[i % 3]], avoid_last=1)
        presented = (await history(store, "c1")).presented
        assert len(presented) == HISTORY_KEEP
        assert presented[0] == numbers[(HISTORY_KEEP + 2) % 3].number

    async def test_answered_number_is_remembered(self, store: CallerIdStore) -> None:
        await store.record_answer("c1", B.number)
        assert (await history(store, "c1")).answered_from == B.number

    async def test_state_changes_are_kept(self, store: CallerIdStore) -> None:
        change = StateChange(
            A.number, NumberState.ACTIVE, NumberState.RETIRED, "number returned", NOW, "ops"
        )
        await store.record_state(change)
        assert await store.states() == {A.number: change}

    async def test_rebuild_restores_history_and_todays_usage(self, store: CallerIdStore) -> None:
        assert await store.needs_rebuild()
        shown = [
            Presentation("c1", A.number, NOW - timedelta(days=3), answered=True),
            Presentation("c1", B.number, NOW - timedelta(hours=5)),
            Presentation("c2", B.number, NOW - timedelta(seconds=10)),
            Presentation("c3", C.number, NOW - timedelta(days=200)),  # forgotten long ago
        ]
        report = await store.rebuild(shown, NOW)
        assert (report.presentations, report.customers, report.numbers) == (3, 2, 1)
        assert not await store.needs_rebuild()
        snapshot = await store.snapshot(["c1"], [A.number, B.number], NOW)
        assert snapshot.histories[0] == CustomerHistory((B.number, A.number), A.number)
        assert snapshot.usage[B.number] == Usage(2, 1, 1, NOW - timedelta(seconds=10))
        assert snapshot.usage[A.number] == Usage()
        assert await refused(store, "c1", "t1", [B]) == (
            "at reservation: only number is the one the customer saw last; add numbers to the pool"
        )

    async def test_rebuild_loses_nothing_recorded_meanwhile(self, store: CallerIdStore) -> None:
        for i in range(3):
            await take(store, f"c{i}", f"t{i}", [A])
        await take(store, "c9", "t9", [C])
        old = [Presentation("c9", B.number, NOW - timedelta(hours=1))]
        old += [Presentation("cx", A.number, NOW - timedelta(hours=2))]
        await store.rebuild(old, NOW)
        usage = await store.usage([A.number, B.number], NOW)
        assert usage[A.number].today == 3  # not lowered to 1
        assert usage[B.number].today == 1
        assert (await history(store, "c9")).presented == (C.number,)

    async def test_a_batch_is_served_in_order_and_answers_each_request(
        self, store: CallerIdStore
    ) -> None:
        (one,) = pool_of(KYIVSTAR, caps=Caps(per_day=1))
        requests = [
            ReserveRequest("c1", "t1", (one, B)),
            ReserveRequest("c2", "t2", (one,)),
            ReserveRequest("c1", "t1", (C,)),  # the same attempt again: the same answer
            ReserveRequest("c1", "t3", (one, C)),
        ]
        results = await store.reserve(requests, NOW)
        numbers = [getattr(r, "number", None) for r in results]
        assert numbers == [one.number, None, one.number, C.number]
        assert results[0] == results[2]
        assert isinstance(results[1], NoneAvailable)
        assert results[1].reason == "at reservation: the only number is at its daily cap"
        snapshot = await store.snapshot(["c1", "c2", "c3"], [one.number, C.number], NOW)
        assert [h.presented for h in snapshot.histories] == [(C.number, one.number), (), ()]
        assert (snapshot.usage[one.number].today, snapshot.usage[C.number].today) == (1, 1)
        assert await store.reserve([], NOW) == []
