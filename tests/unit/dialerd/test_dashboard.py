"""The Grafana dashboard imports as is: valid JSON, a datasource variable, sane layout.
Whether its metrics exist is checked against a running daemon (test_metrics_lab.py)."""

from __future__ import annotations

import itertools

from tests import grafana

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def test_the_datasource_is_a_variable_the_importer_chooses() -> None:
    dashboard = grafana.load()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in grafana.panels(dashboard):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert all(t["datasource"] == DATASOURCE for t in panel["targets"]), panel["title"]
    for name in ("instance", "campaign"):
        assert variables[name]["datasource"] == DATASOURCE


def test_every_panel_queries_dialerd_metrics() -> None:
    for title, expr in grafana.expressions(grafana.load()):
        assert grafana.metric_names(expr), f"{title}: {expr}"
    assert all(p.get("targets") for p in grafana.panels(grafana.load()))


def test_panels_have_unique_ids_and_do_not_overlap() -> None:
    dashboard = grafana.load()
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    boxes = [(p["title"], p["gridPos"]) for p in dashboard["panels"]]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not overlap(box_a, box_b), f"{a!r} overlaps {b!r}"
    assert all(box["x"] + box["w"] <= 24 for _, box in boxes)


def overlap(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def test_metric_names_are_read_from_promql() -> None:
    expr = (
        "histogram_quantile(0.9, sum by (le)"
        ' (rate(dialerd_answer_to_agent_seconds_bucket{campaign=~"$c"}[1m])))'
        ' / dialerd_lines_in_use{state="dialerd_not_a_metric"} and on (campaign) dialerd_leads'
    )
    names = grafana.metric_names(expr)
    assert names == {
        "dialerd_answer_to_agent_seconds_bucket",
        "dialerd_lines_in_use",
        "dialerd_leads",
    }
    histograms = {"dialerd_answer_to_agent_seconds"}
    assert grafana.family("dialerd_answer_to_agent_seconds_bucket", histograms) == (
        "dialerd_answer_to_agent_seconds"
    )
    assert grafana.family("dialerd_calls_total", histograms) == "dialerd_calls_total"
    assert grafana.family("dialerd_lines_in_use_count", histograms) == "dialerd_lines_in_use_count"
