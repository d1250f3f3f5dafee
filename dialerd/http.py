"""The daemon's HTTP endpoints on `metrics.listen`: /metrics, /status, /healthz, /readyz, and
the API's POSTs (/dispositions, /callbacks: dialerd.api, docs/api.md).

A small HTTP/1.1 server on asyncio streams, running in the daemon's own event loop: each
page is built between two steps of the loop, so it reads the runners' state without racing
them (and a loop too busy to answer is exactly what /healthz should show). One request per
connection (`Connection: close`). Pages answer GET and HEAD; the API's paths answer POST of a
JSON object of at most `MAX_BODY_BYTES` with a `Content-Length`, and say in a JSON
``{"error": ..., "field": ...}`` what was wrong with one they refuse. /metrics is the
`DaemonCollector`'s families in the format the scraper's Accept header asks for, chosen by
prometheus_client's own `choose_encoder`, as its HTTP server did before.

With a token configured (`metrics.token`), every POST and every page but /healthz answers 401
unless the
request carries `Authorization: Bearer <token>`; the comparison takes the same time however
much of a wrong token matches (`hmac.compare_digest`). /healthz stays open so that a
liveness probe needs no credentials: it tells only whether the event loop and the dial
loops are alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from dialerd.errors import Fatal

log = structlog.get_logger("dialerd.http")

READ_TIMEOUT_S = 5.0
MAX_REQUEST_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024  # a disposition's note is 1000 characters: plenty of room
JSON = "application/json"
OPEN_PATHS = frozenset({"/healthz"})  # served without the token: liveness probes
REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized"}
REASONS |= {404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 411: "Length Required"}
REASONS |= {413: "Content Too Large", 415: "Unsupported Media Type"}
REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: bytes


class Pages(Protocol):
    """What the endpoints show: (ok, document) for the probes, a document for /status."""

    def status(self) -> dict[str, Any]: ...

    def health(self) -> tuple[bool, dict[str, Any]]: ...

    def readiness(self) -> tuple[bool, dict[str, Any]]: ...


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` (`[::1]:9311` for IPv6) as (host, port); Fatal when it is not one."""
    host, _, port = listen.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not host or not 0 < number < 65536:
        raise Fatal(f"metrics.listen {listen!r} is not host:port, e.g. 127.0.0.1:9311")
    return host.strip("[]"), number


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; a name or a wildcard is not loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def json_response(document: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
    return Response(status, JSON, body)


def probe_response(result: tuple[bool, dict[str, Any]]) -> Response:
    ok, document = result
    return json_response(document, 200 if ok else 503)


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    accept: str = ""
    authorization: str = ""
    content_length: str | None = None
    content_type: str = ""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class BadRequest(Exception):
    """A POST the API refuses: ``status`` (400 unless told), what is wrong, and the field."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


def error_response(status: int, message: str, field: str | None = None) -> Response:
    return json_response({"error": message, "field": field}, status)


# A POST's handler takes the body's JSON object; it raises BadRequest to refuse it.
PostHandler = Callable[[dict[str, Any]], Awaitable[Response]]


def authorized(authorization: str, token: str | None) -> bool:
    """True without a token, else only for `Bearer <token>` (compared in constant time)."""
    if token is None:
        return True
    scheme, _, given = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


class Endpoints:
    def __init__(
        self,
        pages: Pages,
        collector: Collector,
        token: str | None = None,
        posts: Mapping[str, PostHandler] | None = None,
    ) -> None:
        self._pages = pages
        self._token = token
        self._posts = dict(posts or {})
        self._registry = CollectorRegistry()
        self._registry.register(collector)
        self._routes: dict[str, Callable[[str], Response]] = {
            "/metrics": self.metrics,
            "/status": lambda _: json_response(pages.status()),
            "/healthz": lambda _: probe_response(pages.health()),
            "/readyz": lambda _: probe_response(pages.readiness()),
        }

    @property
    def guarded(self) -> bool:
        return self._token is not None

    def metrics(self, accept: str) -> Response:
        encoder, content_type = choose_encoder(accept)
        return Response(200, content_type, encoder(self._registry))

    def respond(self, request: Request) -> Response:
        path = request.target.split("?", 1)[0]
        route = self._routes.get(path)
        if route is None:
            if path in self._posts:
                return text_response(405, f"{request.method} not allowed: POST")
            return text_response(404, f"no page {path}; try /status, /metrics, /healthz, /readyz")
        if request.method not in ("GET", "HEAD"):
            return text_response(405, f"{request.method} not allowed: GET or HEAD")
        if path not in OPEN_PATHS and not authorized(request.authorization, self._token):
            return text_response(401, "this page wants Authorization: Bearer <metrics.token>")
        try:
            return route(request.accept)
        except Exception:  # a bug in a page must not stop the others, nor the daemon
            log.exception("http_page_failed", path=path)
            return text_response(500, "the page failed: see the daemon's log")

    def refuse_post(self, request: Request) -> Response | None:
        """Why a POST is refused before its body is read, or None to read it."""
        if not authorized(request.authorization, self._token):
            return error_response(401, "the API wants Authorization: Bearer <metrics.token>")
        if request.path not in self._posts:
            if request.path in self._routes:
                return text_response(405, "POST not allowed: GET or HEAD")
            paths = ", ".join(sorted(self._posts)) or "none"
            return error_response(404, f"nothing to POST to at {request.path}; try {paths}")
        return body_refusal(request)

    async def post(self, request: Request, body: bytes) -> Response:
        """The answer to a POST whose head :meth:`refuse_post` let through."""
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return error_response(400, f"the body is not JSON: {exc}")
        if not isinstance(document, dict):
            return error_response(400, "the body must be a JSON object: {...}")
        try:
            return await self._posts[request.path](document)
        except BadRequest as exc:
            return error_response(exc.status, exc.message, exc.field)
        except Exception:  # a bug in a handler must not stop the others, nor the daemon
            log.exception("http_post_failed", path=request.path)
            return error_response(500, "the request failed: see the daemon's log")


def body_refusal(request: Request) -> Response | None:
    """Why a POST's body is not read: not JSON, no length, too long; None to read it."""
    media = request.content_type.split(";", 1)[0].strip().lower()
    if media and media != JSON:
        return error_response(415, f"send Content-Type: {JSON}, not {media}")
    if request.content_length is None:
        return error_response(411, "a POST needs a Content-Length (no chunked bodies)")
    length = request.content_length
    if not length.isdigit():
        return error_response(400, f"Content-Length {length!r} is not a number")
    if int(length) > MAX_BODY_BYTES:
        return error_response(413, f"a body may have at most {MAX_BODY_BYTES} bytes")
    return None


def text_response(status: int, text: str) -> Response:
    return Response(status, "text/plain; charset=utf-8", text.encode() + b"\n")


def parse_head(head: bytes) -> Request | None:
    """The request a head asks for, None when it is not HTTP/1.x."""
    line, *fields = head.decode("latin-1").split("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    headers = {
        k.strip().lower(): v.strip() for k, v in (f.split(":", 1) for f in fields if ":" in f)
    }
    return Request(
        parts[0],
        parts[1],
        headers.get("accept", ""),
        headers.get("authorization", ""),
        headers.get("content-length"),
        headers.get("content-type", ""),
    )


def encode(response: Response, head_only: bool) -> bytes:
    reason = REASONS.get(response.status, "")
    lines = [
        f"HTTP/1.1 {response.status} {reason}",
        *(['WWW-Authenticate: Bearer realm="dialerd"'] if response.status == 401 else []),
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        "Cache-Control: no-store",
        "Connection: close",
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + response.body


class HttpServer:
    def __init__(self, endpoints: Endpoints) -> None:
        self._endpoints = endpoints
        self._server: asyncio.Server | None = None

    async def start(self, listen: str) -> None:
        host, port = parse_listen(listen)
        try:
            self._server = await asyncio.start_server(
                self._serve, host, port, limit=MAX_REQUEST_BYTES
            )
        except OSError as exc:
            raise Fatal(f"cannot serve metrics and status on {listen}: {exc}") from exc
        log.info("http_listening", listen=listen)
        if not self._endpoints.guarded and not is_loopback(host):
            log.warning("http_served_without_token", listen=listen, fix="set metrics.token")

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
            request = parse_head(head)
            if request is None:
                response, method = text_response(400, "not an HTTP/1.x request"), "GET"
            elif request.method == "POST":
                method, response = "POST", await self._post(reader, request)
            else:
                method = request.method
                response = self._endpoints.respond(request)
            writer.write(encode(response, head_only=method == "HEAD"))
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass  # a client that went away: nothing to answer
        except (asyncio.LimitOverrunError, ValueError):
            pass  # a request head over MAX_REQUEST_BYTES: not one of ours
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _post(self, reader: asyncio.StreamReader, request: Request) -> Response:
        refusal = self._endpoints.refuse_post(request)
        if refusal is not None:
            return refusal
        length = int(request.content_length or 0)
        async with asyncio.timeout(READ_TIMEOUT_S):
            body = await reader.readexactly(length)
        return await self._endpoints.post(request, body)
