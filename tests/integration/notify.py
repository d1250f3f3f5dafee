"""The systemd end of NOTIFY_SOCKET, for tests that run the real daemon."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from tests.integration.daemon import Dialer

WATCHDOG_USEC = 1_000_000  # pings expected every 0.5 s


@dataclass
class Message:
    at: float  # monotonic arrival time
    fields: dict[str, str]


@dataclass
class NotifyListener:
    """The systemd end of NOTIFY_SOCKET: every datagram, parsed, with its arrival time."""

    path: str
    sock: socket.socket
    history: list[Message] = field(default_factory=list)
    _seen: int = 0

    def env(self, watchdog_usec: int = WATCHDOG_USEC) -> dict[str, str]:
        return {"NOTIFY_SOCKET": self.path, "WATCHDOG_USEC": str(watchdog_usec)}

    async def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(self.sock, 4096)
            lines = data.decode().splitlines()
            self.history.append(Message(time.monotonic(), dict(ln.split("=", 1) for ln in lines)))

    async def until(self, key: str, timeout_s: float) -> Message:
        """The next message (not returned before) that carries `key`."""
        async with asyncio.timeout(timeout_s):
            while True:
                for index in range(self._seen, len(self.history)):
                    if key in self.history[index].fields:
                        self._seen = index + 1
                        return self.history[index]
                await asyncio.sleep(0.02)

    def statuses(self) -> list[str]:
        return [m.fields["STATUS"] for m in self.history if "STATUS" in m.fields]

    def with_key(self, key: str) -> list[Message]:
        return [m for m in self.history if key in m.fields]


@contextlib.asynccontextmanager
async def notify_socket() -> AsyncIterator[NotifyListener]:
    with tempfile.TemporaryDirectory(prefix="sdn-") as directory:  # AF_UNIX paths ≤ 107 bytes
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(f"{directory}/notify")
        sock.setblocking(False)
        listener = NotifyListener(f"{directory}/notify", sock)
        receiver = asyncio.create_task(listener._receive(), name="notify-listener")
        try:
            yield listener
        finally:  # the reader leaves the loop before the socket closes: its fd is reused
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiver
            sock.close()


async def exit_code(dialer: Dialer, timeout_s: float) -> int:
    assert dialer.process is not None
    # Waited for in a thread so that the listener keeps reading meanwhile.
    code = await asyncio.to_thread(dialer.process.wait, timeout_s)
    dialer.process = None
    return code


def send(dialer: Dialer, sig: int) -> None:
    assert dialer.process is not None
    dialer.process.send_signal(sig)
