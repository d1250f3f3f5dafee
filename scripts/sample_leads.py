"""Write a sample lead list for the demo: N leads, some with two numbers, a few bad rows.

python scripts/sample_leads.py 3000 leads.csv
"""

from __future__ import annotations

import csv
import random
import sys


def main() -> None:
    count, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(2026)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "name", "phone", "phone2", "city"])
        for n in range(count):
            phone = f"+38067{rng.randrange(1_000_000, 9_999_999)}"
            second = f"050{rng.randrange(1_000_000, 9_999_999)}" if rng.random() < 0.2 else ""
            if n % 500 == 7:
                phone = "12345"  # a bad number: the import reports this row
            out.writerow(
                [f"C{n:06d}", f"Customer {n}", phone, second, rng.choice(["Kyiv", "Lviv"])]
            )


if __name__ == "__main__":
    main()
