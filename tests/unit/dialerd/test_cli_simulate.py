"""`dialerd simulate` runs the pacing simulator through the daemon's command line."""

from __future__ import annotations

import pytest

from dialerd.cli import main


def test_simulate_reports_a_shift_and_compares_with_progressive(
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "--agents", "5", "--shift-h", "0.25", "--compare"]) == 0
    out = capfd.readouterr().out
    assert "N=5 answer=0.25 talk=120s, 0.25 h shift, seed 1" in out
    header = next(line for line in out.splitlines() if "predictive" in line)
    assert "progressive 1:1" in header
    assert "occupancy" in out
    assert "connects per agent-hour" in out


def test_simulate_refuses_nonsense_settings(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--agents", "0"]) == 2
    assert "dialerd simulate:" in capfd.readouterr().err
