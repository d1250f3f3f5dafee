"""The shipped example campaigns are valid: a PBX admin starts from them."""

from __future__ import annotations

from pathlib import Path

from dialerd.config import load_campaigns

EXAMPLES = Path(__file__).resolve().parents[3] / "config" / "examples" / "campaigns"


def test_every_example_campaign_loads() -> None:
    campaigns = load_campaigns(EXAMPLES)
    assert len(campaigns) == len(list(EXAMPLES.glob("*.yaml"))) >= 2
    assert campaigns["winter-renewals"].caller_ids is not None
