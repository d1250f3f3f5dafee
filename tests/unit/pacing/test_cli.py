from __future__ import annotations

import io

from pacing.sim.cli import main


def test_simulate_prints_the_figures_an_admin_asks_for() -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["--agents", "5", "--shift-h", "0.5", "--talk-s", "60", "--compare", "--seed", "2"]
    assert main(argv, out, err) == 0
    text = out.getvalue()
    for figure in ("occupancy", "abandoned", "idle min per agent-hour", "connects per agent-hour"):
        assert figure in text
    assert "progressive 1:1" in text
    assert "100%" in err.getvalue()


def test_simulate_rejects_a_bad_scenario() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["--agents", "0"], out, err) == 2
    assert "at least one agent" in err.getvalue()


def test_simulate_takes_blended_agents_inbound_callers() -> None:
    def occupancy(extra: list[str]) -> str:
        out, err = io.StringIO(), io.StringIO()
        argv = ["--agents", "5", "--shift-h", "0.5", "--talk-s", "60", "--seed", "2", *extra]
        assert main(argv, out, err) == 0
        return next(line for line in out.getvalue().splitlines() if "occupancy" in line)

    blended = occupancy(["--inbound-per-hour", "60", "--inbound-talk-s", "120"])
    assert blended != occupancy([])  # the same agents also served the callers
    out, err = io.StringIO(), io.StringIO()
    assert main(["--inbound-per-hour", "-1"], out, err) == 2
    assert "inbound rate" in err.getvalue()
