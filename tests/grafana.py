"""What the shipped Grafana dashboard (config/grafana/dialerd.json) asks Prometheus for."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DASHBOARD = Path(__file__).resolve().parents[1] / "config" / "grafana" / "dialerd.json"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# A metric name in PromQL: not preceded by a name character, a label quote or `$`.
_NAME = re.compile(r"(?<![\w\"$])dialerd_[a-z0-9_]+\b")
# Grafana's variables, as a query would see them with every value selected.
VARIABLES = {"$__rate_interval": "1m", "$instance": ".*", "$campaign": ".*"}


def load() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return dashboard


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel except rows, including those inside collapsed rows."""
    found: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            found.extend(panel.get("panels", []))
        else:
            found.append(panel)
    return found


def expressions(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query target."""
    return [
        (panel["title"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]


def metric_names(expr: str) -> set[str]:
    """The dialerd metric names an expression reads, as written (suffixes kept)."""
    return set(_NAME.findall(expr))


def family(name: str, histograms: set[str]) -> str:
    """The metric family a sample name belongs to: a histogram's _bucket, _sum and _count
    are its family's; any other name is its own (`dialerd_calls_total` stays itself)."""
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and base in histograms:
            return base
    return name


def concrete(expr: str) -> str:
    """The expression with Grafana's variables replaced, ready for Prometheus."""
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr
