"""The systemd notify protocol (sd_notify(3)), spoken from the event loop.

systemd passes a datagram socket in ``NOTIFY_SOCKET`` (a path, or ``@name`` in the abstract
namespace) and, with ``WatchdogSec=``, the timeout in ``WATCHDOG_USEC`` (for the process in
``WATCHDOG_PID``, if set). Each message is one datagram of ``KEY=VALUE`` lines. Without
``NOTIFY_SOCKET`` (a shell, a test, another supervisor) every method is a no-op.

Sending never blocks and never raises: the socket is non-blocking, and a message systemd
cannot take is dropped and logged once. Losing a STATUS line must not stop dialing; losing
watchdog pings for long enough is systemd's cue to restart us, which is the point.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping

import structlog

log = structlog.get_logger("dialerd.sdnotify")


def socket_address(value: str | None) -> str | None:
    """The address to send to, from ``NOTIFY_SOCKET``; None if absent or not AF_UNIX."""
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]  # Linux abstract namespace
    if value.startswith("/"):
        return value
    return None  # e.g. vsock:CID:PORT (systemd >= 254, for VMs): not a socket we can use


def watchdog_interval_s(environ: Mapping[str, str], pid: int) -> float | None:
    """How often to ping: half the watchdog timeout, as sd_watchdog_enabled(3) advises.

    None when there is no watchdog, or when it is meant for another process (a parent
    that passed its environment on).
    """
    try:
        timeout_us = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    owner = environ.get("WATCHDOG_PID")
    if timeout_us <= 0 or (owner and owner != str(pid)):
        return None
    return timeout_us / 2e6


def one_line(text: str) -> str:
    """A value that cannot break the KEY=VALUE framing."""
    return " ".join(text.split())


class Notifier:
    """Tells systemd what the daemon is doing. Construct with ``from_environment()``."""

    def __init__(self, address: str | None, watchdog_interval_s: float | None = None) -> None:
        self.address = address
        self.watchdog_interval_s = watchdog_interval_s
        self._socket: socket.socket | None = None
        self._warned = False

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, pid: int | None = None
    ) -> Notifier:
        env = os.environ if environ is None else environ
        interval = watchdog_interval_s(env, os.getpid() if pid is None else pid)
        return cls(socket_address(env.get("NOTIFY_SOCKET")), interval)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, **fields: str) -> bool:
        """Send one message; True if it left. ``notify(READY="1", STATUS="...")``."""
        if self.address is None:
            return False
        message = "".join(f"{key}={one_line(value)}\n" for key, value in fields.items())
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            self._socket.sendto(message.encode(), self.address)
        except OSError as exc:
            self._warn(exc)
            return False
        return True

    def _warn(self, exc: OSError) -> None:
        if not self._warned:  # once: the watchdog would repeat it every few seconds
            log.warning("sd_notify_failed", error=str(exc), socket=self.address)
            self._warned = True

    def status(self, text: str) -> None:
        self.notify(STATUS=text)

    def ready(self, status: str) -> None:
        self.notify(READY="1", STATUS=status)

    def reloading(self, monotonic_s: float, status: str = "reloading campaign files") -> None:
        # MONOTONIC_USEC lets systemd >= 253 tell this reload from an earlier one.
        self.notify(RELOADING="1", MONOTONIC_USEC=str(int(monotonic_s * 1e6)), STATUS=status)

    def stopping(self, status: str) -> None:
        self.notify(STOPPING="1", STATUS=status)

    def watchdog(self) -> None:
        self.notify(WATCHDOG="1")

    async def keep_alive(self) -> None:
        """Ping the watchdog until cancelled; returns at once when there is none.

        It runs as a task on the daemon's own loop, so a loop that hangs stops pinging
        and systemd restarts the daemon.
        """
        if self.address is None or self.watchdog_interval_s is None:
            return
        while True:
            self.watchdog()
            await asyncio.sleep(self.watchdog_interval_s)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
