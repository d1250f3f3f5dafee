"""Lead import benchmark: 1,000,000 generated leads from CSV into a fresh PostgreSQL database.

Beside the real run (a process pool parsing while PostgreSQL loads), it measures in the same
process what phonenumbers alone costs a number on one core, and a one-process import of the
first rows as a baseline. Each import goes into its own throwaway database in the lab.

    .venv/bin/python -m bench.lead_import.run [--leads 1000000] [--workers N] [--baseline-rows N]

The last line is: RESULT leads=<rows in the file> seconds=<import wall time> rows_per_s=<r>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import subprocess
import time
from pathlib import Path

import phonenumbers

from bench.lead_import.generate import ROOT, generate
from dialerd.leads_import import ImportProgress, ImportReport, import_leads, normalise_number
from dialerd.storage import migrate
from dialerd.storage.testing import throwaway_database

REGION = "UA"


def lab_database_url() -> str:
    out = subprocess.run(
        [str(ROOT / "scripts" / "lab"), "status", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    url: str = json.loads(out)["DIALERD_LAB_DATABASE_URL"]
    return url


def per_number_us(path: Path, sample: int = 20_000) -> tuple[float, float]:
    """Microseconds a number on this core: phonenumbers the usual way, and dialerd's path."""
    with path.open(encoding="utf-8") as handle:
        next(handle)
        numbers = [line.split(";")[2] for line in itertools.islice(handle, sample)]

    def usual(raw: str) -> None:
        number = phonenumbers.parse(raw, REGION)
        if phonenumbers.is_valid_number(number):
            phonenumbers.number_type(number)
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def ours(raw: str) -> None:
        normalise_number(raw, REGION)

    costs = []
    for normalise in (usual, ours):
        started = time.perf_counter()
        for raw in numbers:
            with contextlib.suppress(ValueError):  # invalid numbers cost time too: keep them
                normalise(raw)
        costs.append((time.perf_counter() - started) / len(numbers) * 1e6)
    return costs[0], costs[1]


class Progress:
    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()
        self.shown = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        elapsed = time.perf_counter() - self.started
        if progress.stage == "done" or elapsed - self.shown >= 5:
            self.shown = elapsed
            print(f"  {self.label}: {progress.rows:>9,} rows in {elapsed:5.1f} s", flush=True)


async def timed_import(
    admin_url: str, path: Path, workers: int | None, label: str
) -> tuple[ImportReport, float]:
    async with throwaway_database(admin_url, prefix="bench") as url:
        await migrate(url)
        started = time.perf_counter()
        report = await import_leads(
            url, "bench", path, REGION, on_progress=Progress(label), workers=workers
        )
        return report, time.perf_counter() - started


async def main(leads: int, workers: int | None, baseline_rows: int) -> None:
    admin_url = lab_database_url()
    print(f"generating {leads:,} leads (cached in bench/.cache)", flush=True)
    path = generate(leads)
    usual, ours = per_number_us(path)
    print(f"one number, one core: phonenumbers parse+is_valid+type+format {usual:.1f} µs,")
    print(f"  dialerd's normalise_number {ours:.1f} µs")
    results = []
    if baseline_rows:
        report, seconds = await timed_import(
            admin_url, generate(baseline_rows), 0, "baseline, one process"
        )
        results.append(("one process (baseline)", report, seconds))
    report, seconds = await timed_import(admin_url, path, workers, "pool")
    results.append((f"process pool (workers={workers or 'auto'})", report, seconds))
    print(f"\n{'run':32} {'rows':>10} {'seconds':>8} {'rows/s':>9}")
    for name, run_report, run_seconds in results:
        rate = run_report.rows / run_seconds
        print(f"{name:32} {run_report.rows:>10,} {run_seconds:>8.1f} {rate:>9,.0f}")
    print(f"\n{report.summary()}")
    rate = report.rows / seconds
    print(f"RESULT leads={report.rows} seconds={seconds:.1f} rows_per_s={rate:.0f}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument(
        "--workers", type=int, default=None, help="parsing processes (default: one per CPU)"
    )
    parser.add_argument("--baseline-rows", type=int, default=100_000, help="0 skips the baseline")
    args = parser.parse_args()
    asyncio.run(main(args.leads, args.workers, args.baseline_rows))


if __name__ == "__main__":
    cli()
