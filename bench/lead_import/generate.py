"""A reproducible lead list for the import benchmark (CSV, UTF-8, ';'-separated).

Mixed UA / US / GB numbers written the ways people write them, about 20 % of leads with a
second number, about 2 % rows with only invalid numbers, about 1 % rows repeating an earlier
customer (same external_id, another number), about 3 % rows without an external_id, custom
columns, some time zones and call windows. Cached in bench/.cache/ per size and seed.

    .venv/bin/python -m bench.lead_import.generate --leads 1000000
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench" / ".cache"
HEADER = ["external_id", "name", "phone", "phone2", "time_zone", "call_window", "city", "segment"]
UA_MOBILE = ["50", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]
US_AREAS = ["212", "415", "617", "305", "702", "312", "206", "713", "404", "303"]
GB_MOBILE = ["7912", "7720", "7812", "7400", "7532"]  # ranges phonenumbers holds valid
CITIES = ["Kyiv", "Lviv", "Odesa", "Kharkiv", "Dnipro", "New York", "London", "Manchester"]
ZONES = ["Europe/Kyiv", "America/New_York", "America/Los_Angeles", "Europe/London"]
INVALID = ["0441234", "12345", "+38050123", "0800", "+1 212 555", "+44 12"]


def ua(rng: random.Random) -> str:
    digits = f"{rng.choice(UA_MOBILE)}{rng.randrange(10**7):07d}"
    return rng.choice(
        [
            f"0{digits}",
            f"+380{digits}",
            f"+380 {digits[:2]} {digits[2:5]} {digits[5:]}",
            f"0{digits[:2]}-{digits[2:5]}-{digits[5:7]}-{digits[7:]}",
        ]
    )


def us(rng: random.Random) -> str:
    area, exchange, line = rng.choice(US_AREAS), rng.randrange(200, 1000), rng.randrange(10**4)
    return rng.choice([f"+1 ({area}) {exchange}-{line:04d}", f"+1{area}{exchange}{line:04d}"])


def gb(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"+44 {rng.choice(GB_MOBILE)} {rng.randrange(10**6):06d}"
    return f"+44 20 {rng.randrange(7000, 8000)} {rng.randrange(10**4):04d}"


NUMBER_KINDS: list[Callable[[random.Random], str]] = [ua, ua, ua, us, gb]


def row(rng: random.Random, n: int) -> list[str]:
    if rng.random() < 0.02:
        phone, phone2 = rng.choice(INVALID), ""
    else:
        phone = rng.choice(NUMBER_KINDS)(rng)
        phone2 = rng.choice(NUMBER_KINDS)(rng) if rng.random() < 0.2 else ""
    if rng.random() < 0.01 and n > 10:
        external_id = f"C{rng.randrange(n):08d}"  # the same customer again, maybe another number
    else:
        external_id = "" if rng.random() < 0.03 else f"C{n:08d}"
    return [external_id, f"Customer {n}", phone, phone2,
            rng.choice(ZONES) if rng.random() < 0.3 else "",
            "09:00-18:00" if rng.random() < 0.2 else "",
            rng.choice(CITIES), rng.choice("ABC")]  # fmt: skip


def generate(leads: int, seed: int = 1) -> Path:
    path = CACHE / f"leads_{leads}_{seed}.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(row(rng, n) for n in range(leads))
    partial.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    print(generate(**vars(parser.parse_args())))


if __name__ == "__main__":
    main()
