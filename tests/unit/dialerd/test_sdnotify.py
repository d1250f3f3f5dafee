"""The notify client against a real AF_UNIX datagram socket, as systemd would bind it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from dialerd.sdnotify import Notifier, socket_address, watchdog_interval_s


class Receiver:
    """What systemd's side of NOTIFY_SOCKET sees: one message per datagram."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.setblocking(False)

    def pending(self) -> list[str]:
        messages = []
        while True:
            try:
                messages.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return messages

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # AF_UNIX paths are limited to 107 bytes; pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(prefix="sdn-") as name:
        yield Path(name)


@pytest.fixture
def receiver(short_dir: Path) -> Iterator[tuple[Receiver, str]]:
    path = str(short_dir / "notify")
    rx = Receiver(path)
    yield rx, path
    rx.close()


def test_ready_arrives_as_one_datagram_of_key_value_lines(
    receiver: tuple[Receiver, str],
) -> None:
    rx, path = receiver
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": path})
    notifier.ready("dialing 2 campaigns")
    assert rx.pending() == ["READY=1\nSTATUS=dialing 2 campaigns\n"]
    notifier.close()


def test_abstract_namespace_socket_is_reached() -> None:
    name = f"dialerd-test-{uuid.uuid4().hex}"
    rx = Receiver("\0" + name)
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": "@" + name})
    notifier.stopping("draining")
    assert rx.pending() == ["STOPPING=1\nSTATUS=draining\n"]
    notifier.close()
    rx.close()


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier.from_environment({"WATCHDOG_USEC": "1000000"})
    assert not notifier.enabled
    assert notifier.notify(READY="1") is False


def test_a_status_with_newlines_cannot_inject_another_assignment(
    receiver: tuple[Receiver, str],
) -> None:
    rx, path = receiver
    Notifier(path).status("bad campaign\nREADY=1")
    assert rx.pending() == ["STATUS=bad campaign READY=1\n"]


def test_reloading_carries_the_monotonic_time_in_microseconds(
    receiver: tuple[Receiver, str],
) -> None:
    rx, path = receiver
    Notifier(path).reloading(12.5)
    assert rx.pending() == [
        "RELOADING=1\nMONOTONIC_USEC=12500000\nSTATUS=reloading campaign files\n"
    ]


def test_a_socket_that_is_gone_neither_raises_nor_breaks_later_sends(short_dir: Path) -> None:
    path = str(short_dir / "later")
    notifier = Notifier(path)
    assert notifier.notify(STATUS="nobody listens") is False
    rx = Receiver(path)
    assert notifier.notify(STATUS="now someone does") is True
    assert rx.pending() == ["STATUS=now someone does\n"]
    rx.close()


def _fail_if_blocked(signum: int, frame: FrameType | None) -> None:
    raise AssertionError("sending blocked on a full notify socket")


def test_a_full_socket_drops_messages_instead_of_blocking(
    receiver: tuple[Receiver, str],
) -> None:
    _, path = receiver
    notifier = Notifier(path)
    previous = signal.signal(signal.SIGALRM, _fail_if_blocked)
    signal.alarm(10)
    try:
        sent = [notifier.notify(STATUS=f"message {n}") for n in range(5000)]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert sent[0] is True
    assert False in sent  # the receiver never read: its queue filled up


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "20000000"}, 10.0),
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "4242"}, 10.0),
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
        ({}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
    ],
)
def test_watchdog_interval_is_half_the_timeout_for_this_process(
    environ: dict[str, str], expected: float | None
) -> None:
    assert watchdog_interval_s(environ, pid=4242) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/run/systemd/notify", "/run/systemd/notify"),
        ("@sd-notify", "\0sd-notify"),
        ("vsock:2:1234", None),
        ("", None),
        (None, None),
    ],
)
def test_socket_address(value: str | None, expected: str | None) -> None:
    assert socket_address(value) == expected


async def test_keep_alive_pings_from_the_loop_and_stops_when_the_loop_hangs(
    receiver: tuple[Receiver, str],
) -> None:
    rx, path = receiver
    notifier = Notifier(path, watchdog_interval_s=0.02)
    task = asyncio.create_task(notifier.keep_alive(), name="watchdog")
    await asyncio.sleep(0.2)
    assert rx.pending().count("WATCHDOG=1\n") >= 5
    time.sleep(0.3)  # noqa: ASYNC251 - the point: a hung loop, blocked without an await
    assert rx.pending() == []
    await asyncio.sleep(0.1)
    assert "WATCHDOG=1\n" in rx.pending()
    task.cancel()


async def test_keep_alive_returns_at_once_without_a_watchdog(
    receiver: tuple[Receiver, str],
) -> None:
    rx, path = receiver
    await asyncio.wait_for(Notifier(path).keep_alive(), timeout=1)
    assert rx.pending() == []


def test_from_environment_uses_this_process_id(receiver: tuple[Receiver, str]) -> None:
    _, path = receiver
    environ = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())}
    assert Notifier.from_environment(environ).watchdog_interval_s == 2.0
