"""`dialerd status`: the running daemon's /status, as a table or as its JSON.

It asks the daemon at `metrics.listen` from dialerd.yaml (a wildcard address is asked on
loopback), with `metrics.token` as a bearer token when one is set. A daemon that does not
answer is exit code 4 (unavailable), like any service dialerd cannot reach; one that refuses
the token is exit code 3 (fatal: the configuration has to change).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from dialerd.errors import Fatal, Unavailable
from dialerd.http import parse_listen

TIMEOUT_S = 5.0
# a daemon listening on every address is asked on loopback (matched, never bound here)
WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


def status_url(listen: str) -> str:
    host, port = parse_listen(listen)
    host = WILDCARDS.get(host, host)
    return f"http://[{host}]:{port}/status" if ":" in host else f"http://{host}:{port}/status"


def fetch_status(listen: str, token: str | None = None) -> dict[str, Any]:
    url = status_url(listen)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    # an http:// URL built by status_url, never one from the user
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            document: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise Fatal(f"the daemon at {url} refused our token: check metrics.token") from exc
        raise Unavailable(f"the daemon at {url} answered {exc.code} {exc.reason}") from exc
    except (OSError, ValueError) as exc:  # refused, timed out, not JSON: no daemon there
        raise Unavailable(f"the daemon does not answer at {url}: {exc}") from exc
    return document


def render(document: dict[str, Any]) -> str:
    lines = [header(document), ""]
    campaigns = document.get("campaigns", [])
    if not campaigns:
        lines.append("no campaign running")
    rows = [COLUMNS, *(campaign_row(c) for c in campaigns)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for n, row in enumerate(rows if campaigns else ()):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n:
            lines.extend(f"    {r['code']}: {r['text']}" for r in campaigns[n - 1]["reasons"])
    return "\n".join(lines)


COLUMNS = ("CAMPAIGN", "STATE", "MODE", "LEVEL", "AGENTS r/b/w/p/out", "LINES", "ABANDONED")


def header(document: dict[str, Any]) -> str:
    ami = "connected" if document["ami"]["connected"] else "DOWN"
    parts = [f"node {document['node']}", f"AMI {ami}", f"database {check(document['database'])}"]
    if document.get("redis") is not None:
        parts.append(f"redis {check(document['redis'])}")
    if document.get("stopping"):
        parts.append("STOPPING")
    return "  |  ".join(parts)


def check(found: dict[str, Any]) -> str:
    return "ok" if found["ok"] else f"NOT OK ({found.get('error') or 'no answer'})"


def campaign_row(campaign: dict[str, Any]) -> tuple[str, ...]:
    agents = campaign["agents"]
    counts = "/".join(str(agents[k]) for k in ("ready", "busy", "wrapup", "paused", "logged_out"))
    lines = campaign["lines"]
    abandon = campaign["abandon"]
    abandoned = (
        f"{abandon['rate']:.2%} of {abandon['connected'] + abandon['abandoned']}"
        f" (target {abandon['target']:.1%}, budget {abandon['budget_calls']:+.1f})"
    )
    return (
        campaign["name"],
        campaign["state"].replace("_", " "),
        campaign["mode"],
        f"{campaign['dial_level']:.2f}",
        counts,
        f"{lines['in_use']}/{lines['max']}",
        abandoned,
    )
