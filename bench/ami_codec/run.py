"""AMI codec benchmark: our client vs panoramisk 1.4 on the same real event stream.

A loopback server answers the Login, then writes a real AMI capture from the lab's
Asterisk (bench/ami_codec/record.py; recorded on first use) in 64 KiB writes. Each
client counts the events it hands to the application, reading one header from each the
way a consumer would. Both run in this process, alternately, best of --rounds.

    .venv/bin/python -m bench.ami_codec.run [--rounds 3] [--events 100000]

The last line is: RESULT ours_eps=<n> panoramisk_eps=<n> ratio=<ours/panoramisk>
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

from panoramisk import Manager  # a benchmark peer only, never imported by dialerd

from ami import AmiClient, AmiSettings, Event
from bench.ami_codec.record import load_or_record

USER, SECRET = "bench", "bench-secret"


class Blaster:
    """Answers Login (with the client's ActionID), then writes the capture."""

    def __init__(self, capture: bytes) -> None:
        self.capture = capture
        self.started_at = 0.0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._blast(reader, writer)
        except (ConnectionError, asyncio.CancelledError, asyncio.IncompleteReadError):
            pass  # the client hung up once it had counted its events
        finally:
            writer.close()

    async def _blast(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        login = await reader.readuntil(b"\r\n\r\n")
        action_id = next(
            (
                line.split(b": ", 1)[1]
                for line in login.split(b"\r\n")
                if line.lower().startswith(b"actionid:")
            ),
            b"",
        )
        writer.write(
            b"Response: Success\r\nActionID: "
            + action_id
            + b"\r\nMessage: Authentication accepted\r\n\r\n"
        )
        await writer.drain()
        await asyncio.sleep(0.05)  # let the client finish its login bookkeeping
        self.started_at = time.perf_counter()
        view = memoryview(self.capture)
        for offset in range(0, len(view), 65536):
            writer.write(view[offset : offset + 65536])
            await writer.drain()
        await reader.read()  # keep the connection until the client leaves


async def serve(
    capture: bytes, client: Callable[[int, int], Awaitable[float]], events: int
) -> float:
    """Events per second from the first byte sent to the last event handed over
    (the clients' logoff and close are not timed)."""
    blaster = Blaster(capture)
    server = await asyncio.start_server(blaster.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        finished_at = await client(port, events)
    return events / (finished_at - blaster.started_at)


async def ours(port: int, events: int, *, read_all: bool = False) -> float:
    settings = AmiSettings(
        host="127.0.0.1",
        port=port,
        username=USER,
        secret=SECRET,
        ping_interval_s=3600.0,
        event_queue_size=events + 10,
    )
    async with AmiClient(settings) as client, client.events() as stream:
        seen = 0
        async for item in stream:
            if isinstance(item, Event):
                if read_all:
                    item.headers.get("Uniqueid")
                else:
                    item.get("Uniqueid")
                seen += 1
                if seen == events:
                    return time.perf_counter()
    raise RuntimeError("stream ended early")


async def panoramisk(port: int, events: int) -> float:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    seen = 0

    def on_event(manager: object, message: dict[str, str]) -> None:
        nonlocal seen
        message.get("Uniqueid")
        seen += 1
        if seen == events and not done.done():
            done.set_result(time.perf_counter())

    manager = Manager(
        loop=loop,
        host="127.0.0.1",
        port=port,
        username=USER,
        secret=SECRET,
        ping_delay=3600,
        ping_interval=3600,
    )
    manager.register_event("*", on_event)
    await manager.connect()
    finished_at = await done
    manager.close()
    return finished_at


async def ours_parsing_all(port: int, events: int) -> float:
    return await ours(port, events, read_all=True)


async def measure(capture: bytes, events: int, rounds: int) -> tuple[float, float, float]:
    best = [0.0, 0.0, 0.0]
    for n in range(rounds):
        rates = [
            await serve(capture, client, events) for client in (ours, ours_parsing_all, panoramisk)
        ]
        print(
            f"round {n + 1}: ours {rates[0]:,.0f}   ours, every header parsed {rates[1]:,.0f}"
            f"   panoramisk {rates[2]:,.0f} events/s"
        )
        best = [max(b, r) for b, r in zip(best, rates, strict=True)]
    return best[0], best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    capture = load_or_record(args.events)
    size = len(capture)
    print(f"capture: {args.events:,} real Asterisk 22 events, {size / 1e6:.1f} MB")
    best_ours, best_full, best_theirs = asyncio.run(measure(capture, args.events, args.rounds))
    print(f"{'client (best of rounds)':<44}{'events/s':>12}{'vs panoramisk':>15}")
    for label, rate in (
        ("dialerd ami, consumer reads one header", best_ours),
        ("dialerd ami, consumer parses every header", best_full),
        ("panoramisk 1.4 (always parses every header)", best_theirs),
    ):
        print(f"{label:<44}{rate:>12,.0f}{rate / best_theirs:>14.2f}x")
    ratio = best_ours / best_theirs
    print(f"RESULT ours_eps={best_ours:.0f} panoramisk_eps={best_theirs:.0f} ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
