"""Pacing benchmark: ours against progressive, fixed ratios, VICIdial and an oracle.

Every policy runs in the same simulator (pacing.sim) on the same seeds, i.e. the same
leads and the same conversations. Scenarios: N in {5, 10, 25, 50, 100} agents x answer
rate in {0.15, 0.25, 0.5} x mean talk in {60, 180} s, 8-hour shifts, 10 seeds; plus the
headline scenario (N=25, answer 0.25, talk 120 s), reported on its own line.

    .venv/bin/python -m bench.pacing.run [--quick] [--jobs 2]

Cells are "occupancy % / abandoned %", means over seeds. "best ratio" and "VD best" are
grid-searched per scenario (bench/pacing/policies.py). A baseline counts as the best
non-oracle baseline only if its mean abandon rate is within 3 %. The last line is:
RESULT scenarios=<n> worst_abandon=<max mean abandon %, ours> min_gain=<min points,
ours - best baseline> min_gain_below80=<same, where that baseline is below 80 %>
min_ratio_vs_oracle=<min ours/oracle occupancy over N >= 25>
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace

from bench.pacing.policies import (
    VICIDIAL_METHODS,
    Summary,
    evaluate,
    fixed_ratio_grid,
    oracle,
    ours,
    progressive,
    run_all,
    tune,
    vicidial_default,
    vicidial_grid,
)
from pacing.sim.scenario import Scenario

AGENTS = (5, 10, 25, 50, 100)
ANSWER_RATES = (0.15, 0.25, 0.5)
TALKS_S = (60.0, 180.0)
HEADLINE = Scenario(agents=25, answer_rate=0.25, talk_mean_s=120.0)
COLUMNS = ("progressive", "best ratio", "VD hard", "VD average", "VD tapered", "VD best")


@dataclass(frozen=True, slots=True)
class Row:
    scenario: Scenario
    baselines: tuple[Summary, ...]  # in COLUMNS order
    ours: Summary
    oracle: Summary

    @property
    def best_baseline(self) -> Summary:
        within = [b for b in self.baselines if b.within_target]
        return max(within, key=lambda b: b.occupancy)

    @property
    def gain(self) -> float:
        return 100.0 * (self.ours.occupancy - self.best_baseline.occupancy)

    @property
    def ratio_vs_oracle(self) -> float:
        return self.ours.occupancy / self.oracle.occupancy


def scenarios(quick: bool) -> list[Scenario]:
    if quick:
        short = 2 * 3600.0
        return [
            Scenario(agents=10, answer_rate=0.25, talk_mean_s=60.0, shift_s=short),
            Scenario(agents=25, answer_rate=0.25, talk_mean_s=180.0, shift_s=short),
        ]
    return [
        Scenario(agents=n, answer_rate=p, talk_mean_s=t)
        for n in AGENTS
        for p in ANSWER_RATES
        for t in TALKS_S
    ]


def measure(task: tuple[Scenario, tuple[int, ...]]) -> Row:
    scenario, seeds = task
    started = time.perf_counter()
    baselines = (
        evaluate(progressive(), scenario, seeds),
        tune(fixed_ratio_grid(scenario), scenario, seeds),
        *(evaluate(vicidial_default(m, scenario), scenario, seeds) for m in VICIDIAL_METHODS),
        tune(vicidial_grid(scenario), scenario, seeds),
    )
    row = Row(
        scenario,
        baselines,
        evaluate(ours(scenario), scenario, seeds),
        evaluate(oracle(scenario), scenario, seeds),
    )
    print(
        f"# {scenario.label()} done in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return row


def cell(summary: Summary) -> str:
    return f"{100 * summary.occupancy:5.1f}/{100 * summary.abandon:4.2f}"


def print_table(rows: list[Row]) -> None:
    head = f"{'scenario':30s}" + "".join(f"{c:>13s}" for c in (*COLUMNS, "ours", "oracle"))
    print(head + f"{'ours worst':>11s}{'gain':>7s}{'/oracle':>8s}  best baseline")
    for row in rows:
        cells = "".join(f"{cell(s):>13s}" for s in (*row.baselines, row.ours, row.oracle))
        print(
            f"{row.scenario.label():30s}{cells}{100 * row.ours.worst_abandon:10.2f}%"
            f"{row.gain:+7.1f}{row.ratio_vs_oracle:8.3f}  {row.best_baseline.name}"
        )


def result_line(rows: list[Row]) -> str:
    below80 = [r.gain for r in rows if r.best_baseline.occupancy < 0.80]
    large = [r.ratio_vs_oracle for r in rows if r.scenario.agents >= 25]
    gain_below80 = f"{min(below80):.2f}" if below80 else "n/a"
    ratio = f"{min(large):.3f}" if large else "n/a"
    return (
        f"RESULT scenarios={len(rows)}"
        f" worst_abandon={max(100 * r.ours.abandon for r in rows):.2f}"
        f" min_gain={min(r.gain for r in rows):.2f}"
        f" min_gain_below80={gain_below80} min_ratio_vs_oracle={ratio}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 scenarios, 2-hour shifts, 3 seeds")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--seeds", type=int, default=0, help="seeds per scenario (default 10)")
    args = parser.parse_args(argv)
    seeds = tuple(range(args.seeds or (3 if args.quick else 10)))
    grid = scenarios(args.quick)
    headline = replace(HEADLINE, shift_s=grid[0].shift_s)
    tasks = [(s, seeds) for s in (*grid, headline)]
    started = time.perf_counter()
    rows = run_all(measure, tasks, args.jobs)
    print_table(rows)
    top = rows[-1]
    print(
        f"HEADLINE {top.scenario.label()} ours occupancy={100 * top.ours.occupancy:.1f}%"
        f" abandoned={100 * top.ours.abandon:.2f}% (worst seed {100 * top.ours.worst_abandon:.2f}%)"
        f" best baseline {top.best_baseline.name} {100 * top.best_baseline.occupancy:.1f}%"
    )
    print(f"# {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(result_line(rows[:-1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
