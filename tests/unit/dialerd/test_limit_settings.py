"""The `limits` campaign key: what an admin writes, and the file:line of each mistake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dialerd.config import load_campaigns
from dialerd.errors import ConfigError
from dialerd.limits import NO_LIMITS, Limits, RollingCap, Scope

HEAD = """\
name: spring
queue: sales
region: UA
dial: {trunk: "Local/{number}@out"}
"""
H = timedelta(hours=1)


def load(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "spring.yaml").write_text(HEAD + text)
    try:
        load_campaigns(tmp_path)
    except ConfigError as exc:
        return [str(problem) for problem in exc.problems]
    return []


def test_every_limit_becomes_the_pure_limits(tmp_path: Path) -> None:
    (tmp_path / "spring.yaml").write_text(
        HEAD
        + """\
limits:
  lifetime_per_lead: 20
  lifetime_per_phone: 8
  rolling:
    - {calls: 3, per_h: 24, scope: number}
    - {calls: 7, per_h: 168, scope: lead}
  after_conversation_h: 168
  after_abandoned_h: 72
"""
    )
    limits = load_campaigns(tmp_path)["spring"].limits.limits()
    assert limits == Limits(
        lead_lifetime=20,
        phone_lifetime=8,
        rolling=(RollingCap(3, 24 * H, Scope.NUMBER), RollingCap(7, 168 * H, Scope.LEAD)),
        after_conversation=168 * H,
        after_abandoned=72 * H,
    )


def test_without_the_key_nothing_is_limited(tmp_path: Path) -> None:
    (tmp_path / "spring.yaml").write_text(HEAD)
    assert load_campaigns(tmp_path)["spring"].limits.limits() == NO_LIMITS


def test_mistakes_are_reported_at_their_line(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
limits:
  lifetime_per_lead: 0
  rolling:
    - {calls: 3, per_h: 24, scope: numbers}
    - {calls: "3", per_h: 24, scope: lead}
  after_abandoned_h: -1
  after_conversation: 168
""",
    )
    path = tmp_path / "spring.yaml"
    assert problems == [
        f"{path}:6:3: limits.lifetime_per_lead: Input should be greater than or equal to 1",
        f"{path}:8:29: limits.rolling.0.scope: Input should be 'number' or 'lead'",
        f"{path}:9:8: limits.rolling.1.calls: expected a whole number, got '3'",
        f"{path}:10:3: limits.after_abandoned_h: Input should be greater than 0",
        f"{path}:11:3: limits.after_conversation: unknown key (check the spelling; see"
        " docs/campaigns.md)",
    ]


def test_two_caps_over_the_same_span_and_scope_are_refused(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
limits:
  rolling:
    - {calls: 3, per_h: 24, scope: number}
    - {calls: 2, per_h: 24, scope: number}
""",
    )
    assert len(problems) == 1
    assert problems[0].endswith(
        "spring.yaml:5:1: limits: rolling: one cap per span and scope (24 h per number)"
    )
