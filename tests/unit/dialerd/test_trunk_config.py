"""Shared trunks in the config: a campaign's dial.trunk_name must name one of the main file's."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialerd.config import load_campaigns
from dialerd.errors import ConfigError

CAMPAIGN = """\
name: sales
queue: sales
region: GB
priority: 2
weight: 1.5
dial:
  trunk: PJSIP/{number}@carrier
  trunk_name: carier
"""


def test_an_unknown_trunk_name_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "sales.yaml").write_text(CAMPAIGN)
    with pytest.raises(ConfigError) as raised:
        load_campaigns(tmp_path, trunks={"carrier", "backup"})
    assert [str(p) for p in raised.value.problems] == [
        f"{tmp_path}/sales.yaml:8:3: dial.trunk_name: trunk 'carier' is not in the main"
        " config's trunks (known: backup, carrier)"
    ]


def test_a_known_trunk_name_loads_with_priority_and_weight(tmp_path: Path) -> None:
    (tmp_path / "sales.yaml").write_text(CAMPAIGN.replace("carier", "carrier"))
    sales = load_campaigns(tmp_path, trunks={"carrier"})["sales"]
    assert (sales.dial.trunk_name, sales.priority, sales.weight) == ("carrier", 2, 1.5)
