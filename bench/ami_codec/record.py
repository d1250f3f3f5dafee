"""Record a real AMI event stream from the lab's Asterisk, for the codec benchmark.

Places calls through the lab's simulated customers and agents (the shipped dialplan
snippet, the queue, busy / no-answer / congestion lines) with a raw socket, and keeps
every Event message exactly as Asterisk wrote it, until enough are captured. The
capture is written gzip-compressed to bench/.cache/ and is regenerated when missing.

    .venv/bin/python -m bench.ami_codec.record [--events 120000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "bench" / ".cache" / "ami_events.bin.gz"
NUMBERS = ["+447700900001", "+447700900002", "+447700900004", "+447700900003", "+380501234567"]
FAST_WORLD = {
    "LAB_RING_MIN_S": "0",
    "LAB_RING_MAX_S": "1",
    "LAB_TALK_MIN_S": "1",
    "LAB_TALK_MAX_S": "2",
    "LAB_BUSY_MIN_S": "0",
    "LAB_BUSY_MAX_S": "1",
}


def lab_status() -> dict[str, str]:
    out = subprocess.run(
        [str(ROOT / "scripts" / "lab"), "status", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info: dict[str, str] = json.loads(out)
    return info


def action(name: str, **headers: str) -> bytes:
    lines = [f"Action: {name}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def dial_forever(writer: asyncio.StreamWriter, queue: str) -> None:
    for n in itertools.count():
        number = NUMBERS[n % len(NUMBERS)]
        writer.write(
            action(
                "Originate",
                ActionID=f"rec-{n}",
                Channel=f"Local/{number}@lab-customers",
                Context="dialerd-connect",
                Exten="s",
                Priority="1",
                Async="true",
                Timeout="3000",
                CallerID="Bench <+442079460000>",
                Variable=f"DIALERD_QUEUE={queue}",
            )
        )
        await writer.drain()
        await asyncio.sleep(0.05)


async def capture(want: int) -> bytes:
    info = lab_status()
    reader, writer = await asyncio.open_connection(
        info["DIALERD_LAB_AMI_HOST"], int(info["DIALERD_LAB_AMI_PORT"])
    )
    await reader.readline()  # greeting
    writer.write(
        action(
            "Login",
            Username=info["DIALERD_LAB_AMI_USER"],
            Secret=info["DIALERD_LAB_AMI_SECRET"],
            Events="on",
        )
    )
    for key, value in FAST_WORLD.items():
        writer.write(action("Setvar", Variable=key, Value=value))
    dialer = asyncio.create_task(dial_forever(writer, info["DIALERD_LAB_QUEUE"]))
    events: list[bytes] = []
    buffer = b""
    while len(events) < want:
        buffer += await reader.read(65536)
        *messages, buffer = buffer.split(b"\r\n\r\n")
        events.extend(m + b"\r\n\r\n" for m in messages if m.startswith(b"Event: "))
        print(f"\rrecorded {len(events)} events", end="", flush=True)
    dialer.cancel()
    writer.close()
    print()
    return b"".join(events[:want])


def load_or_record(want: int) -> bytes:
    if CAPTURE.exists():
        data = gzip.decompress(CAPTURE.read_bytes())
        if data.count(b"\r\n\r\n") >= want:
            return data
    data = asyncio.run(capture(want))
    # A dialplan reload restores the world's globals changed for the recording.
    subprocess.run(
        [str(ROOT / "scripts" / "lab"), "asterisk", "dialplan reload"],
        check=True,
        capture_output=True,
    )
    CAPTURE.parent.mkdir(parents=True, exist_ok=True)
    CAPTURE.write_bytes(gzip.compress(data))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=120_000)
    args = parser.parse_args()
    data = load_or_record(args.events)
    count = data.count(b"\r\n\r\n")
    print(f"{count} events, {len(data)} bytes in {CAPTURE}")


if __name__ == "__main__":
    main()
