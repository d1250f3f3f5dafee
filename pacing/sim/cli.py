"""`dialerd simulate`: try a campaign's pacing settings on a simulated shift.

    main(["--agents", "25", "--answer-rate", "0.25", "--talk-s", "120", "--compare"])

Prints occupancy, abandoned %, idle minutes and connects per agent-hour, and an hourly
timeline; a progress bar goes to stderr. `--compare` also runs progressive 1:1 on the
same leads and conversations; `--plot shift.png` draws occupancy and abandon rate over
the shift (the first policy's).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from pacing.inputs import Mode
from pacing.sim.baselines import Progressive
from pacing.sim.plot import shift_png
from pacing.sim.policies import Ours
from pacing.sim.scenario import Policy, Scenario, ShiftResult
from pacing.sim.world import run_shift, settings_for

BAR_WIDTH = 30


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dialerd simulate", description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=["predictive", "progressive"], default="predictive")
    p.add_argument("--ratio", type=float, default=1.0, help="progressive: calls per ready agent")
    p.add_argument("--agents", type=int, default=25)
    p.add_argument("--answer-rate", type=float, default=0.25, help="share of dials answered")
    p.add_argument("--talk-s", type=float, default=120.0, help="mean talk time")
    p.add_argument("--talk-sigma", type=float, default=0.8, help="lognormal shape of talk time")
    p.add_argument("--wrapup-s", type=float, default=10.0)
    p.add_argument("--pickup-s", type=float, nargs=2, default=(15.0, 25.0), metavar=("MIN", "MAX"))
    p.add_argument("--grace-s", type=float, default=2.0, help="safe-harbour seconds")
    p.add_argument("--abandon-target", type=float, default=3.0, help="percent of live answers")
    p.add_argument(
        "--inbound-per-hour", type=float, default=0.0, help="blended: inbound callers an hour"
    )
    p.add_argument("--inbound-talk-s", type=float, default=240.0, help="their mean talk time")
    p.add_argument("--shift-h", type=float, default=8.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--compare", action="store_true", help="also run progressive 1:1")
    p.add_argument(
        "--plot", metavar="PNG", help="write occupancy and abandon rate over the shift to this PNG"
    )
    return p


def scenario_of(args: argparse.Namespace) -> Scenario:
    return Scenario(
        agents=args.agents,
        answer_rate=args.answer_rate,
        talk_mean_s=args.talk_s,
        talk_sigma=args.talk_sigma,
        wrapup_s=args.wrapup_s,
        pickup_s=(args.pickup_s[0], args.pickup_s[1]),
        grace_s=args.grace_s,
        abandon_target=args.abandon_target / 100.0,
        shift_s=args.shift_h * 3600.0,
        inbound_per_hour=args.inbound_per_hour,
        inbound_talk_s=args.inbound_talk_s,
    )


def policy_of(args: argparse.Namespace, scenario: Scenario) -> Policy:
    if args.mode == "progressive":
        return Progressive(args.ratio)
    return Ours(settings_for(scenario, Mode.PREDICTIVE), name="predictive")


def progress_bar(out: TextIO, label: str) -> Callable[[float], None]:
    def show(done: float) -> None:
        filled = round(BAR_WIDTH * min(1.0, done))
        out.write(f"\r{label:12s} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * done:3.0f}%")
        if done >= 1.0:
            out.write("\n")
        out.flush()

    return show


def report(results: Sequence[tuple[str, ShiftResult]], out: TextIO) -> None:
    out.write(f"{'':28s}" + "".join(f"{name:>18s}" for name, _ in results) + "\n")
    lines: list[tuple[str, Callable[[ShiftResult], str]]] = [
        ("occupancy", lambda r: f"{100 * r.occupancy:.1f} %"),
        ("abandoned (of live answers)", lambda r: f"{100 * r.abandon_rate:.2f} %"),
        ("idle min per agent-hour", lambda r: f"{r.idle_minutes_per_agent_hour:.1f}"),
        ("connects per agent-hour", lambda r: f"{r.connects_per_agent_hour:.1f}"),
        ("live answers", lambda r: f"{r.connected + r.abandoned}"),
        ("dials", lambda r: f"{r.dials}"),
    ]
    for label, show in lines:
        out.write(f"{label:28s}" + "".join(f"{show(r):>18s}" for _, r in results) + "\n")
    name, first = results[0]
    out.write(f"\n{name}, per quarter-hour: occupancy % / abandoned %\n")
    for piece in first.timeline:
        hours, bar = piece.end_s / 3600, "#" * round(piece.occupancy * 40)
        occupancy, abandoned = 100 * piece.occupancy, 100 * piece.abandon_rate
        out.write(f"{hours:5.2f} h {occupancy:5.1f} / {abandoned:5.2f}  {bar}\n")


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr  # read at the call, as tests swap them
    args = parser().parse_args(argv)
    try:
        scenario = scenario_of(args)
    except ValueError as exc:
        err.write(f"dialerd simulate: {exc}\n")
        return 2
    runs: list[tuple[str, Policy]] = [(args.mode, policy_of(args, scenario))]
    if args.compare:
        runs.append(("progressive 1:1", Progressive(1.0)))
    results = []
    for name, policy in runs:
        show = progress_bar(err, name)
        results.append((name, run_shift(scenario, policy, args.seed, show)))
        show(1.0)
    out.write(f"{scenario.label()}, {args.shift_h:g} h shift, seed {args.seed}\n")
    report(results, out)
    if args.plot:
        return write_plot(args.plot, results[0][1], scenario, out, err)
    return 0


def write_plot(path: str, result: ShiftResult, scenario: Scenario, out: TextIO, err: TextIO) -> int:
    """The first policy's shift as a PNG; a path that cannot be written is a clear error."""
    png = shift_png(result.timeline, scenario.abandon_target, scenario.shift_s)
    try:
        Path(path).write_bytes(png)
    except OSError as exc:
        err.write(f"dialerd simulate: cannot write the plot to {path}: {exc.strerror or exc}\n")
        return 1
    out.write(f"\nplot written to {path}\n")
    return 0
