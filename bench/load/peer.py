"""The peer baseline: panoramisk 1.4 reading the same AMI event stream as the daemon.

Run by bench/load/run.py as a process of its own, so its CPU time is read from /proc like
the daemon's. It logs in with events on, parses every event (panoramisk always does) and
counts them; every second it writes the count to the file named on the command line.

    python -m bench.load.peer HOST PORT USER SECRET_ENV COUNT_FILE
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from panoramisk import Manager  # a benchmark peer only, never imported by dialerd


async def main(host: str, port: int, user: str, secret: str, out: Path) -> None:
    seen = 0

    def on_event(manager: object, message: dict[str, str]) -> None:
        nonlocal seen
        message.get("Uniqueid")
        seen += 1

    manager = Manager(
        loop=asyncio.get_running_loop(),
        host=host,
        port=port,
        username=user,
        secret=secret,
        ping_delay=3600,
        ping_interval=3600,
    )
    manager.register_event("*", on_event)
    await manager.connect()
    while True:
        out.write_text(f"{seen}\n")  # noqa: ASYNC240 (a few bytes a second)
        await asyncio.sleep(1.0)


if __name__ == "__main__":
    host, port, user, secret_env, count_file = sys.argv[1:6]
    asyncio.run(main(host, int(port), user, os.environ[secret_env], Path(count_file)))
