"""The caller_ids block of a campaign file: what a PBX admin gets wrong is located exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from caller_id_pool import Caps, NumberState
from dialerd.config import load_campaigns
from dialerd.errors import ConfigError
from dialerd.rotation import build_classifier, build_pool, build_rules

HEAD = """\
name: sales
queue: sales
region: UA
dial:
  trunk: "PJSIP/{number}@trunk"
"""


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "sales.yaml").write_text(HEAD + body)
    return tmp_path


def problems(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_campaigns(write(tmp_path, body))
    return [str(p) for p in raised.value.problems]


def test_a_pool_becomes_classified_numbers_with_their_caps_and_rules(tmp_path: Path) -> None:
    body = """\
caller_ids:
  numbers:
    - {number: "+380671000001", per_day: 50, cooldown_s: 30, tags: [sales]}
    - {number: "+380501000001", operator: Kyivstar}
  avoid_last: 2
  prefer: [operator, any]
  prefixes:
    - {prefix: "+38050100", operator: lifecell}
"""
    settings = load_campaigns(write(tmp_path, body))["sales"].caller_ids
    assert settings is not None
    pool = build_pool(settings, build_classifier(settings))
    assert [(n.number, n.profile.operator) for n in pool] == [
        ("+380671000001", "Kyivstar"),
        ("+380501000001", "Kyivstar"),  # the admin's word beats the prefix table
    ]
    assert pool[0].caps == Caps(per_day=50, cooldown_s=30)
    assert pool[0].tags == {"sales"}
    assert all(n.state is NumberState.ACTIVE for n in pool)
    rules = build_rules(settings)
    assert (rules.avoid_last, rules.prefer) == (2, ("operator", "any"))
    assert build_classifier(settings).profile("+380501009999").operator == "lifecell"


def test_bad_numbers_duplicates_and_unknown_tiers_are_located(tmp_path: Path) -> None:
    body = """\
caller_ids:
  numbers:
    - {number: "+380671000001"}
    - {number: "+380001234567"}
    - {number: "+380671000002", per_day: 0}
  prefer: [operator, nearby]
"""
    where = f"{tmp_path}/sales.yaml"
    assert problems(tmp_path, body) == [
        f"{where}:9:8: caller_ids.numbers.1.number: '+380001234567' is not a valid phone number:"
        " write it in E.164 form, + country code and number, e.g. +442079460000",
        f"{where}:10:33: caller_ids.numbers.2.per_day: Input should be greater than or equal to 1",
        f"{where}:11:22: caller_ids.prefer.1: Input should be 'operator', 'area_code', 'region',"
        " 'country' or 'any'",
    ]


def test_a_duplicate_number_is_refused(tmp_path: Path) -> None:
    body = """\
caller_ids:
  numbers:
    - {number: "+380671000001"}
    - {number: "+380671000001"}
"""
    (problem,) = problems(tmp_path, body)
    assert "numbers listed twice: +380671000001" in problem
    assert problem.startswith(f"{tmp_path}/sales.yaml:6:")


def test_a_fixed_caller_id_and_a_pool_together_are_refused(tmp_path: Path) -> None:
    body = """\
  caller_id: "+380671000009"
caller_ids:
  numbers: [{number: "+380671000001"}]
"""
    (problem,) = problems(tmp_path, body)
    assert "give dial.caller_id or a caller_ids pool, not both" in problem
