"""A throwaway Prometheus server on loopback (Debian's `prometheus`, from scripts/bootstrap).

`prometheus_server` writes a configuration that scrapes the given targets every second,
keeps its data in its own directory, listens on a free loopback port, and is stopped (by
its pid) when the block ends; it yields the port. `instant` asks its HTTP query API.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tests.integration.daemon import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: {rules}
scrape_configs:
  - job_name: dialerd
    static_configs:
      - targets: {targets}
"""


@contextlib.contextmanager
def prometheus_server(
    workdir: Path, targets: Sequence[str], rules: Sequence[Path] = ()
) -> Iterator[int]:
    """Run Prometheus scraping `targets` ("host:port"); yields its loopback port."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(
        CONFIG.format(rules=json.dumps([str(r) for r in rules]), targets=json.dumps(list(targets)))
    )
    port = free_port()
    log = workdir / "prometheus.log"
    command = [
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited:\n{log.read_text(errors='replace')}")
        ready = f"http://127.0.0.1:{port}/-/ready"
        with contextlib.suppress(OSError), urllib.request.urlopen(ready, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"prometheus not ready within 30 s:\n{log.read_text(errors='replace')}")


def api(port: int, path: str, **params: str) -> Any:
    """GET an /api/v1 endpoint; its `data`, after checking the status is success."""
    query = urllib.parse.urlencode(params)
    address = f"http://127.0.0.1:{port}/api/v1/{path}?{query}"
    with urllib.request.urlopen(address, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def instant(port: int, promql: str) -> dict[frozenset[tuple[str, str]], float]:
    """An instant query's vector: labels (without __name__) -> value."""
    data = api(port, "query", query=promql)
    assert data["resultType"] == "vector", data
    return {
        frozenset((k, v) for k, v in item["metric"].items() if k != "__name__"): float(
            item["value"][1]
        )
        for item in data["result"]
    }


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, *args], input=stdin, capture_output=True, text=True, check=False
    )
