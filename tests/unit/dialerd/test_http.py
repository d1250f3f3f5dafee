"""The daemon's HTTP endpoints, served on a real socket from fake pages and a collector."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.core import GaugeMetricFamily, Metric

from dialerd.errors import Fatal
from dialerd.http import Endpoints, HttpServer, is_loopback, parse_head, parse_listen
from dialerd.status_cli import fetch_status, render, status_url
from tests.integration.daemon import free_port


class FakePages:
    def __init__(self) -> None:
        self.ready = True
        self.broken = False

    def status(self) -> dict[str, Any]:
        if self.broken:
            raise RuntimeError("a bug")
        return {"node": "node-a", "campaigns": []}

    def health(self) -> tuple[bool, dict[str, Any]]:
        return True, {"ok": True}

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        return self.ready, {"ok": self.ready, "checks": {"ami": {"ok": self.ready}}}


class OneGauge:
    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("dialerd_ami_connected", "1 while the AMI connection is up")
        gauge.add_metric([], 1.0)
        yield gauge


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakePages, int]]:
    pages, port = FakePages(), free_port()
    server = HttpServer(Endpoints(pages, OneGauge()))
    await server.start(f"127.0.0.1:{port}")
    try:
        yield pages, port
    finally:
        await server.close()


async def ask(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    raw = await reader.read()  # the server closes the connection after one answer
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split(" ")[1]), headers, body


def get(path: str, method: str = "GET", accept: str = "*/*") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n".encode()


async def test_status_is_json(served: tuple[FakePages, int]) -> None:
    status, headers, body = await ask(served[1], get("/status?pretty=1"))
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"node": "node-a", "campaigns": []}
    assert int(headers["Content-Length"]) == len(body)


async def test_metrics_are_the_collectors_families(served: tuple[FakePages, int]) -> None:
    status, headers, body = await ask(served[1], get("/metrics"))
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert b"dialerd_ami_connected 1.0" in body


async def test_metrics_in_openmetrics_when_asked(served: tuple[FakePages, int]) -> None:
    _, headers, body = await ask(served[1], get("/metrics", accept="application/openmetrics-text"))
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")


async def test_readyz_answers_503_when_not_ready(served: tuple[FakePages, int]) -> None:
    pages, port = served
    assert (await ask(port, get("/readyz")))[0] == 200
    pages.ready = False
    status, _, body = await ask(port, get("/readyz"))
    assert status == 503
    assert json.loads(body)["checks"]["ami"]["ok"] is False
    assert (await ask(port, get("/healthz")))[0] == 200


async def test_head_has_no_body(served: tuple[FakePages, int]) -> None:
    status, headers, body = await ask(served[1], get("/healthz", "HEAD"))
    assert status == 200
    assert int(headers["Content-Length"]) > 0
    assert body == b""


@pytest.mark.parametrize(
    ("request_bytes", "code"),
    [
        (get("/nowhere"), 404),
        (get("/status", "POST"), 405),
        (b"hello\r\n\r\n", 400),
    ],
)
async def test_what_is_not_a_page(
    served: tuple[FakePages, int], request_bytes: bytes, code: int
) -> None:
    assert (await ask(served[1], request_bytes))[0] == code


async def test_a_failing_page_is_a_500_and_the_server_goes_on(
    served: tuple[FakePages, int],
) -> None:
    pages, port = served
    pages.broken = True
    assert (await ask(port, get("/status")))[0] == 500
    assert (await ask(port, get("/healthz")))[0] == 200


async def test_a_port_in_use_is_fatal_with_the_address(served: tuple[FakePages, int]) -> None:
    other = HttpServer(Endpoints(FakePages(), OneGauge()))
    with pytest.raises(Fatal, match=f"127.0.0.1:{served[1]}"):
        await other.start(f"127.0.0.1:{served[1]}")


@pytest.mark.parametrize("listen", ["9311", "localhost:", "host:99999", ":9311"])
def test_a_bad_listen_address_is_fatal(listen: str) -> None:
    with pytest.raises(Fatal, match="host:port"):
        parse_listen(listen)


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("127.0.0.1:9311", "http://127.0.0.1:9311/status"),
        ("0.0.0.0:9311", "http://127.0.0.1:9311/status"),
        ("[::]:9311", "http://[::1]:9311/status"),
        ("[::1]:9400", "http://[::1]:9400/status"),
    ],
)  # fmt: skip
def test_the_cli_asks_a_wildcard_listener_on_loopback(listen: str, url: str) -> None:
    assert status_url(listen) == url


def test_the_table_shows_each_campaign_and_its_reasons() -> None:
    campaign = {
        "name": "spring",
        "state": "not_dialing",
        "mode": "progressive",
        "dial_level": 0.0,
        "agents": {"ready": 0, "busy": 0, "wrapup": 0, "paused": 2, "logged_out": 1},
        "lines": {"in_use": 0, "max": 30},
        "abandon": {"rate": 0.0, "connected": 0, "abandoned": 0, "target": 0.03},
        "reasons": [{"code": "no_agents", "text": "no agent of queue q is logged in"}],
    }
    campaign["abandon"]["budget_calls"] = 0.0
    document = {
        "node": "node-a",
        "ami": {"connected": False},
        "database": {"ok": True},
        "redis": None,
        "campaigns": [campaign],
    }
    lines = render(document).splitlines()
    assert lines[0] == "node node-a  |  AMI DOWN  |  database ok"
    assert lines[2].split() == [
        "CAMPAIGN", "STATE", "MODE", "LEVEL", "AGENTS", "r/b/w/p/out", "LINES", "ABANDONED"
    ]  # fmt: skip
    assert lines[3].split()[:6] == ["spring", "not", "dialing", "progressive", "0.00", "0/0/0/2/1"]
    assert lines[4] == "    no_agents: no agent of queue q is logged in"


TOKEN = "s3cret-token-0123456789"


@pytest.fixture
async def guarded() -> AsyncIterator[int]:
    port = free_port()
    server = HttpServer(Endpoints(FakePages(), OneGauge(), token=TOKEN))
    await server.start(f"127.0.0.1:{port}")
    try:
        yield port
    finally:
        await server.close()


def get_with(path: str, authorization: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nAuthorization: {authorization}\r\n\r\n".encode()


@pytest.mark.parametrize("path", ["/status", "/metrics", "/readyz"])
@pytest.mark.parametrize(
    "authorization",
    ["", f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", "Bearer", "Bearer  "],
)
async def test_with_a_token_a_page_refuses_a_missing_or_wrong_one(
    guarded: int, path: str, authorization: str
) -> None:
    request = get_with(path, authorization) if authorization else get(path)
    status, headers, body = await ask(guarded, request)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN.encode() not in body


@pytest.mark.parametrize("path", ["/status", "/metrics", "/readyz"])
async def test_with_a_token_a_page_answers_the_right_one(guarded: int, path: str) -> None:
    assert (await ask(guarded, get_with(path, f"Bearer {TOKEN}")))[0] == 200
    assert (await ask(guarded, get_with(path, f"bearer   {TOKEN} ")))[0] == 200


async def test_healthz_stays_open_for_probes(guarded: int) -> None:
    assert (await ask(guarded, get("/healthz")))[0] == 200


async def test_dialerd_status_sends_the_token(guarded: int) -> None:
    listen = f"127.0.0.1:{guarded}"
    document = await asyncio.to_thread(fetch_status, listen, TOKEN)
    assert document["node"] == "node-a"
    with pytest.raises(Fatal, match=r"refused our token: check metrics\.token") as refused:
        await asyncio.to_thread(fetch_status, listen, "wrong")
    assert "wrong" not in str(refused.value)
    with pytest.raises(Fatal, match="refused our token"):
        await asyncio.to_thread(fetch_status, listen, None)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("dialer-1", False)],  # noqa: S104
)  # fmt: skip
def test_what_counts_as_loopback_for_the_unguarded_warning(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_request_head_is_answered_or_refused_never_a_crash(head: bytes) -> None:
    request = parse_head(head + b"\r\n\r\n")
    if request is not None:
        endpoints = Endpoints(FakePages(), OneGauge(), token=TOKEN)
        assert endpoints.respond(request).status in (200, 401, 404, 405)
