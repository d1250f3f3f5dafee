"""Caller-ID benchmark: selection + atomic reservation against the lab's real Redis.

Each worker is its own process with its own event loop and Redis client, like a dialer
node. A worker runs `--in-flight` lanes; each lane does what the daemon does on a dial
tick: classify the destinations (phonenumbers + prefix table), read the customers'
histories and the pool's usage (snapshot.lua, one call), `select` for each dial, then
reserve them all atomically (reserve.lua, one EVALSHA). Customers are drawn from 200,000
leads, destinations are UA/RU mobile numbers, the pool has 20 numbers; caps are lifted so
that the run measures speed, not refusals.

    .venv/bin/python -m bench.caller_id.run [--workers 2] [--batch 8] [--seconds 5]

Printed side by side: selection alone on one core (no Redis); one worker and the
concurrent workers, each with one dial per call (the baseline) and with `--batch` dials per
call. A reservation's latency is that of the call that made it. CPU columns are per
reservation: the workers' own, and Redis's (INFO cpu). The last line is, for the
concurrent workers with batches:
RESULT reservations_per_s=<all workers> p99_ms=<latency of a reservation>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from caller_id_pool import (
    Caps,
    Classifier,
    CustomerHistory,
    Dial,
    NoneAvailable,
    PoolNumber,
    RedisStore,
    Rules,
    Usage,
    reserve_caller_ids,
    select,
)

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 200_000
WARM_UP_S = 0.3
UNCAPPED = Caps(per_day=10**9, per_minute=10**9)
POOL_NUMBERS = (
    *(f"+38067{n}" for n in ("1000001", "1000002", "1000003")),
    *(f"+38050{n}" for n in ("1000001", "1000002", "1000003")),
    *(f"+38063{n}" for n in ("1000001", "1000002")),
    "+380441000001",
    "+380441000002",
    *(f"+7916{n}" for n in ("1000001", "1000002")),
    *(f"+7926{n}" for n in ("1000001", "1000002")),
    *(f"+7903{n}" for n in ("1000001", "1000002")),
    *(f"+7952{n}" for n in ("1000001", "1000002")),
    "+74951000001",
    "+74951000002",
)
MOBILE_CODES = ("38067", "38097", "38050", "38099", "38063", "38093", "7916", "7985", "7926")
MOBILE_CODES += ("7903", "7960", "7952", "7901")


@dataclass(frozen=True)
class Run:
    workers: int
    batch: int
    in_flight: int
    seconds: float


@dataclass(frozen=True)
class WorkerResult:
    name: str
    reservations: int
    refused: int
    seconds: float
    cpu_s: float  # this process's CPU time during the run
    latencies_ms: list[float]  # one per reservation


def lab_redis_url() -> str:
    out = subprocess.run(
        [str(ROOT / "scripts" / "lab"), "status", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    url: str = json.loads(out)["DIALERD_LAB_REDIS_URL"]
    return url


def make_pool(classifier: Classifier) -> tuple[PoolNumber, ...]:
    return tuple(classifier.pool_number(n, caps=UNCAPPED) for n in POOL_NUMBERS)


def destinations(rng: random.Random, count: int) -> list[str]:
    return [f"+{rng.choice(MOBILE_CODES)}{rng.randrange(10**7):07d}" for _ in range(count)]


def selection_cost_us(rounds: int = 20_000) -> float:
    """Classification + select, one core, no Redis: the pure part of a reservation."""
    classifier, rng = Classifier(), random.Random(1)
    pool, rules, now = make_pool(classifier), Rules(), datetime.now(UTC)
    targets = destinations(rng, rounds)
    usage = {n.number: Usage(today=rng.randrange(50)) for n in pool}
    history = CustomerHistory((pool[0].number,))
    started = time.perf_counter()
    for number in targets:
        select(pool, classifier.profile(number), history, usage, rules, now)
    return (time.perf_counter() - started) / rounds * 1e6


async def reserve_loop(store: RedisStore, name: str, run: Run, seed: int) -> WorkerResult:
    classifier, rng = Classifier(), random.Random(seed)
    pool, rules = make_pool(classifier), Rules()
    targets = destinations(rng, 50_000)
    latencies: list[float] = []
    refused = 0
    deadline = time.perf_counter() + run.seconds

    async def one_lane(lane: int) -> None:
        nonlocal refused
        tick = 0
        while time.perf_counter() < deadline:
            tick += 1
            started = time.perf_counter()
            customers = {str(rng.randrange(CUSTOMERS)) for _ in range(run.batch)}
            dials = [
                Dial(
                    c,
                    f"{name}-{lane}-{tick}-{i}",
                    classifier.profile(targets[rng.randrange(50_000)]),
                )
                for i, c in enumerate(customers)
            ]
            results = await reserve_caller_ids(store, pool, dials, rules, datetime.now(UTC))
            latencies.extend([(time.perf_counter() - started) * 1000] * len(results))
            refused += sum(isinstance(r, NoneAvailable) for r in results)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_lane(lane) for lane in range(run.in_flight)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return WorkerResult(name, len(latencies) - refused, refused, elapsed, cpu, latencies)


async def run_worker(url: str, prefix: str, name: str, run: Run) -> Any:
    store = RedisStore.connect(url, prefix=prefix)
    try:
        warm_up = Run(run.workers, run.batch, run.in_flight, WARM_UP_S)
        await reserve_loop(store, name, warm_up, seed=0)  # data, scripts, connections
        return await reserve_loop(store, name, run, seed=hash(name) & 0xFFFF)
    finally:
        await store.aclose()


def worker_main(where: tuple[str, str, str], run: Run, barrier: Any, queue: Any) -> None:
    url, prefix, name = where
    Classifier().profile("+380671234567")  # load phonenumbers' data before the start line
    barrier.wait()
    queue.put(asyncio.run(run_worker(url, prefix, name, run)))


def run_workers(url: str, prefix: str, run: Run) -> tuple[list[WorkerResult], float]:
    """The workers' results and the Redis CPU seconds they cost (warm-up scaled out)."""
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(run.workers), context.Queue()
    processes = [
        context.Process(target=worker_main, args=((url, prefix, f"w{i + 1}"), run, barrier, queue))
        for i in range(run.workers)
    ]
    before = redis_cpu_s(url)
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    server = (redis_cpu_s(url) - before) * run.seconds / (run.seconds + WARM_UP_S)
    return sorted(results, key=lambda r: r.name), server


def redis_cpu_s(url: str) -> float:
    """Redis server CPU time so far (user + system), from INFO cpu."""
    client = redis.Redis.from_url(url)
    info = client.info("cpu")
    client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[round(q * 1000) - 1]


def report(label: str, results: list[WorkerResult], redis_s: float | None) -> tuple[float, float]:
    latencies = [ms for r in results for ms in r.latencies_ms]
    rate = sum(r.reservations / r.seconds for r in results)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    done = sum(r.reservations + r.refused for r in results)
    client_us = sum(r.cpu_s for r in results) / done * 1e6
    server = f"{redis_s / done * 1e6:>9.0f}" if redis_s is not None else f"{'':>9}"
    print(f"{label:34} {done:>9,} {rate:>8,.0f} {p50:>7.2f} {p99:>7.2f} {client_us:>9.0f} {server}")
    return rate, p99


def delete_prefix(url: str, prefix: str) -> int:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=5000))
    for start in range(0, len(keys), 5000):
        client.delete(*keys[start : start + 5000])
    client.close()
    return len(keys)


def main(workers: int, batch: int, seconds: float, in_flight: int) -> None:
    url = lab_redis_url()
    prefix = f"bench:cid:{uuid.uuid4().hex}:"
    print(f"selection alone (classify + select, one core, no Redis): {selection_cost_us():.1f} µs")
    print(
        f"{len(POOL_NUMBERS)} pool numbers, {CUSTOMERS:,} customers, lanes per worker: "
        f"{in_flight}, {seconds:g} s per run\n"
    )
    print(
        f"{'run':34} {'reserved':>9} {'per s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'client µs':>9} {'Redis µs':>9}"
    )
    try:
        for count, size in ((1, 1), (1, batch), (workers, 1), (workers, batch)):
            results, server = run_workers(url, prefix, Run(count, size, in_flight, seconds))
            if count > 1:
                for result in results:
                    report(f"  worker {result.name}", [result], None)
            dials = "1 dial per call (baseline)" if size == 1 else f"batches of {size}"
            rate, p99 = report(
                f"{count} worker{'s' if count > 1 else ''}, {dials}", results, server
            )
    finally:
        deleted = delete_prefix(url, prefix)
    print(f"\n(deleted {deleted:,} benchmark keys)")
    print(f"RESULT reservations_per_s={rate:.0f} p99_ms={p99:.2f}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8, help="dials per call (one dial tick)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--in-flight", type=int, default=1, help="lanes per worker")
    args = parser.parse_args()
    main(args.workers, args.batch, args.seconds, args.in_flight)


if __name__ == "__main__":
    cli()
