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
