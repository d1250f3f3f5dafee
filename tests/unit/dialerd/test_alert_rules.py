"""The shipped alert rules are valid and behave as their unit tests say (promtool)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "config" / "prometheus" / "dialerd-alerts.yml"
RULE_TESTS = ROOT / "config" / "prometheus" / "dialerd-alerts.test.yml"


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool is not None, (
        "promtool is missing: run scripts/bootstrap as root (package prometheus)"
    )
    return subprocess.run([tool, *args], capture_output=True, text=True, check=False, cwd=cwd)


def test_the_alert_rules_are_valid() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_the_alert_rules_fire_when_they_should_and_only_then() -> None:
    tested = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test() -> None:
    rules = {line.split(":", 1)[1].strip() for line in lines(RULES) if line.startswith("alert:")}
    tested = {
        line.split(":", 1)[1].strip() for line in lines(RULE_TESTS) if line.startswith("alertname:")
    }
    assert rules == tested


def lines(path: Path) -> list[str]:
    return [line.strip().removeprefix("- ") for line in path.read_text().splitlines()]
