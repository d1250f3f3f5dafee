"""POSTs to the daemon's HTTP server: JSON bodies, their cap, the token, the refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dialerd.http import MAX_BODY_BYTES, BadRequest, Endpoints, HttpServer, Response, json_response
from tests.integration.daemon import free_port
from tests.unit.dialerd.test_http import FakePages, OneGauge, ask

TOKEN = "s3cret-token"


class Echo:
    """A handler that answers what it was given, or refuses a body without "ok"."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, body: dict[str, Any]) -> Response:
        self.seen.append(body)
        if "boom" in body:
            raise RuntimeError("a bug")
        if "ok" not in body:
            raise BadRequest("ok: give it", "ok")
        return json_response({"got": body}, 201)


@pytest.fixture
async def served() -> AsyncIterator[tuple[Echo, int]]:
    echo, port = Echo(), free_port()
    server = HttpServer(Endpoints(FakePages(), OneGauge(), TOKEN, {"/echo": echo}))
    await server.start(f"127.0.0.1:{port}")
    try:
        yield echo, port
    finally:
        await server.close()


def post(
    body: bytes,
    path: str = "/echo",
    token: str | None = TOKEN,
    content_type: str = "application/json",
    length: str | None = None,
) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: localhost"]
    lines += [f"Authorization: Bearer {token}"] if token else []
    lines += [f"Content-Type: {content_type}"] if content_type else []
    size = str(len(body)) if length is None else length
    lines += [f"Content-Length: {size}"] if size != "-" else []
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def test_a_json_object_reaches_its_handler(served: tuple[Echo, int]) -> None:
    echo, port = served
    status, headers, body = await ask(port, post(b'{"ok": true, "n": 1}'))
    assert status == 201
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"got": {"ok": True, "n": 1}}
    assert echo.seen == [{"ok": True, "n": 1}]


@pytest.mark.parametrize(
    ("request_bytes", "status", "field"),
    [
        (post(b'{"n": 1}'), 400, "ok"),  # the handler's own refusal names the field
        (post(b"{not json"), 400, None),
        (post(b"[1, 2]"), 400, None),
        (post(b"\xff\xfe"), 400, None),
        (post(b'{"ok": 1}', content_type="text/plain"), 415, None),
        (post(b'{"ok": 1}', length="-"), 411, None),
        (post(b'{"ok": 1}', length="x1"), 400, None),
        (post(b"{}", length=str(MAX_BODY_BYTES + 1)), 413, None),
        (post(b'{"ok": 1}', path="/nowhere"), 404, None),
        (post(b'{"boom": 1}'), 500, None),
    ],
)
async def test_a_post_refused_says_why_in_json(
    served: tuple[Echo, int], request_bytes: bytes, status: int, field: str | None
) -> None:
    echo, port = served
    got, _, body = await ask(port, request_bytes)
    assert got == status
    answer = json.loads(body)
    assert answer["error"]
    assert answer["field"] == field
    if status in (411, 413, 415, 404):
        assert echo.seen == [], "a refused head's body is never handed on"


@pytest.mark.parametrize("token", [None, "wrong", TOKEN[:-1]])
async def test_every_post_wants_the_token(served: tuple[Echo, int], token: str | None) -> None:
    echo, port = served
    for path in ("/echo", "/nowhere", "/status"):
        status, headers, _ = await ask(port, post(b'{"ok": 1}', path=path, token=token))
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
    assert echo.seen == []


async def test_wrong_methods_are_405(served: tuple[Echo, int]) -> None:
    port = served[1]
    get_echo = f"GET /echo HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
    assert (await ask(port, get_echo))[0] == 405
    assert (await ask(port, post(b"{}", path="/status")))[0] == 405


async def test_a_body_shorter_than_its_length_gets_no_answer_and_no_call(
    served: tuple[Echo, int],
) -> None:
    echo, port = served
    # the client closes its side after 2 of 10 bytes: nothing is handed to the handler
    status = await _truncated(port, post(b"{}", length="10"))
    assert status is None
    assert echo.seen == []


async def _truncated(port: int, request: bytes) -> int | None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    writer.write_eof()
    raw = await reader.read()
    writer.close()
    return int(raw.split(b" ")[1]) if raw else None
