"""Blended agents: predictive pacing when the same agents also take inbound callers.

Inbound callers (Poisson, served before any waiting outbound call) share the campaign's
agents. Compared on the same seeds, i.e. the same leads, conversations and callers:
progressive 1:1; ours blind to inbound calls (an agent on one counts as on a campaign call
just begun, callers waiting or arriving unseen: how the daemon paced before it followed
them); ours; the oracle (exact agent finish times, the same inbound knowledge as ours).

    .venv/bin/python -m bench.pacing.blended [--quick] [--jobs 2]

Cells are "occupancy % / abandoned %" (outbound answers), means over seeds; occupancy
counts inbound talk too. The last line is:
RESULT scenarios=<n> worst_abandon=<max mean abandon %, ours>
worst_abandon_unseen=<the same, blind to inbound> worst_seed=<max seed abandon %, ours>
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace

from bench.pacing.policies import Summary, evaluate, run_all
from pacing.sim.baselines import Progressive
from pacing.sim.policies import InboundBlind, Oracle, Ours
from pacing.sim.scenario import Scenario
from pacing.sim.world import settings_for

SHIFT_S = 8 * 3600.0
BASE = Scenario(agents=25, answer_rate=0.25, talk_mean_s=120.0, shift_s=SHIFT_S)
MIXES = (  # inbound callers per hour, their mean talk seconds
    (0.0, 240.0),
    (150.0, 30.0),
    (60.0, 600.0),
    (240.0, 150.0),
    (900.0, 20.0),
)
SMALL = Scenario(
    agents=10,
    answer_rate=0.25,
    talk_mean_s=60.0,
    shift_s=SHIFT_S,
    inbound_per_hour=360.0,
    inbound_talk_s=20.0,
)


@dataclass(frozen=True, slots=True)
class Row:
    scenario: Scenario
    progressive: Summary
    unseen: Summary
    ours: Summary
    oracle: Summary


def scenarios(quick: bool) -> list[Scenario]:
    grid = [replace(BASE, inbound_per_hour=r, inbound_talk_s=t) for r, t in MIXES] + [SMALL]
    if quick:
        return [replace(s, shift_s=2 * 3600.0) for s in (grid[3], grid[4])]
    return grid


def measure(task: tuple[Scenario, tuple[int, ...]]) -> Row:
    scenario, seeds = task
    settings = settings_for(scenario)
    return Row(
        scenario,
        evaluate(lambda: Progressive(1.0), scenario, seeds),
        evaluate(lambda: InboundBlind(settings), scenario, seeds),
        evaluate(lambda: Ours(settings), scenario, seeds),
        evaluate(lambda: Oracle(settings), scenario, seeds),
    )


def cell(summary: Summary) -> str:
    return f"{100 * summary.occupancy:5.1f}/{100 * summary.abandon:5.2f}"


def print_table(rows: list[Row]) -> None:
    names = ("progressive", "ours, unseen", "ours", "oracle", "ours worst")
    print(f"{'scenario':52s}" + "".join(f"{n:>14s}" for n in names))
    for row in rows:
        cells = [cell(s) for s in (row.progressive, row.unseen, row.ours, row.oracle)]
        cells.append(f"{100 * row.ours.worst_abandon:.2f}%")
        print(f"{row.scenario.label():52s}" + "".join(f"{c:>14s}" for c in cells))


def result_line(rows: list[Row]) -> str:
    worst = max(r.ours.abandon for r in rows)
    unseen = max(r.unseen.abandon for r in rows)
    seed = max(r.ours.worst_abandon for r in rows)
    return (
        f"RESULT scenarios={len(rows)} worst_abandon={100 * worst:.2f}"
        f" worst_abandon_unseen={100 * unseen:.2f} worst_seed={100 * seed:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 scenarios, 2-hour shifts")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--seeds", type=int, default=0, help="seeds per scenario (default 5)")
    args = parser.parse_args(argv)
    seeds = tuple(range(args.seeds or (2 if args.quick else 5)))
    tasks = [(s, seeds) for s in scenarios(args.quick)]
    started = time.perf_counter()
    rows = run_all(measure, tasks, args.jobs)
    print_table(rows)
    print(f"# {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(result_line(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
