"""A real HTTP server on loopback that receives dialerd's webhooks, for tests.

It runs in a thread of its own (the standard library's ThreadingHTTPServer), so it answers
even while a test blocks waiting for the daemon. Each request takes the next behaviour from
``script`` (then ``default``): ``ok`` (204), ``500``, or ``hang`` (never answer; the client's
timeout must give up). Every request is recorded as it arrived.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: str  # the behaviour it met

    @property
    def key(self) -> str:
        return self.headers["Idempotency-Key"]

    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-Dialerd-Signature", ""), expected)


@dataclass
class WebhookServer:
    script: list[str] = field(default_factory=list)
    default: str = "ok"
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def behave(self, behaviour: str) -> None:
        """From now on, requests meet ``behaviour`` (hanging ones are let go)."""
        with self._lock:
            self.script.clear()
            self.default = behaviour
        if behaviour != "hang":
            self._release.set()

    def delivered(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.answered == "ok"]

    def all_received(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def _next(self) -> str:
        with self._lock:
            behaviour = self.script.pop(0) if self.script else self.default
            if behaviour == "hang":
                self._release.clear()
            return behaviour

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)


@contextlib.contextmanager
def webhook_server(*script: str, default: str = "ok") -> Iterator[WebhookServer]:
    state = WebhookServer(list(script), default)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            behaviour = state._next()
            state._record(Received(self.path, dict(self.headers.items()), body, behaviour))
            if behaviour == "hang":
                state._release.wait(timeout=60)
                return
            self.send_response(204 if behaviour == "ok" else int(behaviour))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="webhook-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state._release.set()
        server.shutdown()
        server.server_close()
