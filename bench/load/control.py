"""The control for loop lag: an asyncio process with nothing to do but the daemon's probe.

It sleeps 0.25 s in a loop, as dialerd.probes.LoopLag does, and appends each wake-up's
lateness in seconds to the file named on the command line. Run beside the daemon, it
shows how much of the daemon's loop lag is the machine's (other processes holding the
two cores) rather than the daemon's own work.

    python -m bench.load.control LATENESS_FILE
"""

from __future__ import annotations

import asyncio
import sys
import time

INTERVAL_S = 0.25  # dialerd.probes.LoopLag's


async def main(path: str) -> None:
    with open(path, "a", buffering=1, encoding="ascii") as out:  # noqa: ASYNC230 (tiny lines)
        while True:
            before = time.monotonic()
            await asyncio.sleep(INTERVAL_S)
            out.write(f"{max(0.0, time.monotonic() - before - INTERVAL_S):.6f}\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
