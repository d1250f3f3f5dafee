"""AMD benchmark: Asterisk's AMD() on the lab's simulated persons and machines (real audio).

    .venv/bin/python -m bench.amd.run [--calls 200] [--concurrency 12] [--only shipped]

For each parameter set, `--calls` calls (half persons, +447700900005, half machines,
+447700900006, in a shuffled order) are originated into the lab's `lab-amd-probe`, which
runs the shipped snippet's `dialerd-amd` (the very AMD() call and timing a campaign gets)
and reports the user event DialerdAmd. The lab's persons say a short greeting and are
silent; its machines play a 4-6 s greeting and a beep (lab/sounds/make-sounds).

Printed per set: human recall (persons classified HUMAN), machine recall (machines
classified MACHINE), NOTSURE shares, mean detection time, the share of persons classified
HUMAN within 2 s of the answer (the safe-harbour grace AMD eats into), and the causes.
The last line is for the shipped defaults (dialerd.amd_settings.AmdSettings()):
RESULT human_recall=<x> machine_recall=<y> mean_detect_ms=<z>

Needs the lab (`scripts/lab up`, with the same DIALERD_LAB_* variables).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ami import AmiClient, AmiSettings, Event
from dialerd.amd_settings import AmdSettings

ROOT = Path(__file__).resolve().parents[2]
PERSON = "+447700900005"
MACHINE = "+447700900006"
GRACE_MS = 2000
KINDS = ("person", "machine")
CALL_TIMEOUT_S = 40.0

# Asterisk's amd.conf defaults first (the baseline), then variations, the shipped last.
SETS: dict[str, AmdSettings] = {
    "asterisk": AmdSettings(enabled=True, after_greeting_silence_ms=800, max_number_of_words=2),
    "words3": AmdSettings(enabled=True, after_greeting_silence_ms=800, max_number_of_words=3),
    "ags500": AmdSettings(enabled=True, after_greeting_silence_ms=500, max_number_of_words=2),
    "ags400-words3": AmdSettings(
        enabled=True, after_greeting_silence_ms=400, max_number_of_words=3
    ),
    "shipped": AmdSettings(enabled=True),
}


@dataclass(frozen=True)
class Outcome:
    truth: str  # person or machine
    status: str
    cause: str
    ms: int


def lab_settings() -> AmiSettings:
    proc = subprocess.run(
        [str(ROOT / "scripts" / "lab"), "status", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit("the lab is down: scripts/lab up (with your DIALERD_LAB_* variables)")
    status = json.loads(proc.stdout)
    return AmiSettings(
        status["DIALERD_LAB_AMI_HOST"],
        int(status["DIALERD_LAB_AMI_PORT"]),
        status["DIALERD_LAB_AMI_USER"],
        status["DIALERD_LAB_AMI_SECRET"],
    )


class Prober:
    """Originates probe calls and hands each its DialerdAmd event."""

    def __init__(self, client: AmiClient) -> None:
        self.client = client
        self.waiting: dict[str, asyncio.Future[Event]] = {}

    async def pump(self) -> None:
        async with self.client.events() as stream:
            async for item in stream:
                if isinstance(item, Event) and item.get("UserEvent") == "DialerdAmd":
                    future = self.waiting.pop(item.get("Attempt") or "", None)
                    if future is not None and not future.done():
                        future.set_result(item)

    async def probe(self, amd: AmdSettings, truth: str, voice: int) -> Outcome:
        attempt = str(uuid.uuid4())
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self.waiting[attempt] = future
        number = PERSON if truth == "person" else MACHINE
        response = await self.client.send_action(
            "Originate",
            {
                "Channel": f"Local/{number}@lab-customers",
                "Context": "lab-amd-probe",
                "Exten": "s",
                "Priority": "1",
                "Async": "true",
                "Timeout": "30000",
                "ChannelId": attempt,
                "Variable": [
                    f"DIALERD_ATTEMPT={attempt}",
                    f"DIALERD_AMD={amd.amd_argument()}",
                    "DIALERD_AMD_MACHINE=hangup",
                    "DIALERD_AMD_NOTSURE=agent",
                    # the Local channel's customer half inherits it: this call's voice
                    f"LAB_{truth.upper()}_VOICE={voice}",
                ],
            },
        )
        response.raise_for_error()
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                event = await future
        except TimeoutError:
            self.waiting.pop(attempt, None)
            return Outcome(truth, "LOST", "", 0)
        return Outcome(truth, event.get("Status") or "", event.get("Cause") or "", _ms(event))


def _ms(event: Event) -> int:
    try:
        return int(float(event.get("Ms") or 0))
    except ValueError:
        return 0


async def run_set(
    prober: Prober, amd: AmdSettings, calls: int, lanes: int, voices: dict[str, int]
) -> list[Outcome]:
    """Half persons, half machines, each voice of the lab as often as the next (the same
    mix for every set, so that sets differ by their parameters only), in a shuffled order."""
    half = calls // 2
    plan = [(truth, n % voices[truth] + 1) for truth in ("person", "machine") for n in range(half)]
    random.Random(calls).shuffle(plan)
    queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    outcomes: list[Outcome] = []

    async def lane() -> None:
        while not queue.empty():
            outcomes.append(await prober.probe(amd, *queue.get_nowait()))

    async with asyncio.TaskGroup() as group:
        for _ in range(lanes):
            group.create_task(lane())
    return outcomes


@dataclass(frozen=True)
class Figures:
    human_recall: float
    machine_recall: float
    person_notsure: float
    machine_notsure: float
    mean_detect_ms: float
    person_mean_ms: float
    persons_within_grace: float
    lost: int
    causes: str


def figures(outcomes: list[Outcome]) -> Figures:
    persons = [o for o in outcomes if o.truth == "person" and o.status != "LOST"]
    machines = [o for o in outcomes if o.truth == "machine" and o.status != "LOST"]
    seen = persons + machines

    def share(group: list[Outcome], status: str) -> float:
        return sum(o.status == status for o in group) / len(group) if group else 0.0

    causes = Counter(f"{o.truth[0]}:{o.cause.split('-')[0]}" for o in seen)
    quick = [o for o in persons if o.status == "HUMAN" and o.ms <= GRACE_MS]
    return Figures(
        human_recall=share(persons, "HUMAN"),
        machine_recall=share(machines, "MACHINE"),
        person_notsure=share(persons, "NOTSURE"),
        machine_notsure=share(machines, "NOTSURE"),
        mean_detect_ms=statistics.fmean(o.ms for o in seen) if seen else 0.0,
        person_mean_ms=statistics.fmean(o.ms for o in persons) if persons else 0.0,
        persons_within_grace=len(quick) / len(persons) if persons else 0.0,
        lost=len(outcomes) - len(seen),
        causes=" ".join(f"{k}={v}" for k, v in sorted(causes.items())),
    )


def describe(amd: AmdSettings) -> str:
    return (
        f"silence {amd.initial_silence_ms}, greeting {amd.greeting_ms},"
        f" after {amd.after_greeting_silence_ms}, words {amd.max_number_of_words}"
    )


async def main(calls: int, lanes: int, only: list[str]) -> None:
    async with AmiClient(lab_settings()) as client:
        prober = Prober(client)
        pump = asyncio.create_task(prober.pump())
        await asyncio.sleep(0.2)  # the event stream is subscribed
        await set_ring(client, "1", "2")
        voices = {kind: await lab_global(client, f"LAB_{kind.upper()}_SOUNDS") for kind in KINDS}
        try:
            results = {}
            for name, amd in SETS.items():
                if only and name not in only:
                    continue
                results[name] = figures(await run_set(prober, amd, calls, lanes, voices))
                print(f"{name}: done", flush=True)
        finally:
            await set_ring(client, "2", "6")
            pump.cancel()
    print_table(results, calls)


async def lab_global(client: AmiClient, name: str) -> int:
    """How many voices of a kind the lab has (a global scripts/lab writes)."""
    response = await client.send_action("Getvar", {"Variable": name})
    response.raise_for_error()
    return int(response.get("Value") or 0)


async def set_ring(client: AmiClient, low: str, high: str) -> None:
    """Short rings for the bench (AMD starts at the answer, so ringing only costs time)."""
    for name, value in (("LAB_RING_MIN_S", low), ("LAB_RING_MAX_S", high)):
        (await client.send_action("Setvar", {"Variable": name, "Value": value})).raise_for_error()


def print_table(results: dict[str, Figures], calls: int) -> None:
    print(f"\n{calls} calls per set (half persons, half machines, every voice alike)\n")
    print(
        "| set | parameters (ms) | human recall | machine recall | persons NOTSURE"
        " | machines NOTSURE | mean detect ms | persons' mean ms | persons HUMAN ≤ 2 s | lost |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, f in results.items():
        print(
            f"| {name} | {describe(SETS[name])} | {f.human_recall:.2f} | {f.machine_recall:.2f}"
            f" | {f.person_notsure:.2f} | {f.machine_notsure:.2f} | {f.mean_detect_ms:.0f}"
            f" | {f.person_mean_ms:.0f} | {f.persons_within_grace:.0%} | {f.lost} |"
        )
    print()
    for name, f in results.items():
        print(f"causes {name}: {f.causes}")
    shipped = results.get("shipped")
    if shipped is not None:
        print(
            f"RESULT human_recall={shipped.human_recall:.2f}"
            f" machine_recall={shipped.machine_recall:.2f}"
            f" mean_detect_ms={shipped.mean_detect_ms:.0f}"
        )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per parameter set")
    parser.add_argument("--concurrency", type=int, default=12, help="calls at once")
    parser.add_argument("--only", nargs="*", default=[], help="sets to run (default: all)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse()
    asyncio.run(main(args.calls, args.concurrency, args.only))
