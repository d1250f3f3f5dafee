"""A tour of the lab through dialerd's AMI client: what `scripts/demo` shows.

Logs in to the lab's Asterisk, lists the simulated agents, dials each fixed customer
number and prints Asterisk's answer, then sends one answered call through the shipped
dialplan snippet to an agent and follows it to the end of the conversation.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

from ami import AmiClient, AmiSettings, Event, EventStream

ROOT = Path(__file__).resolve().parents[1]
REASONS = {
    "0": "failed",
    "1": "failed",
    "3": "no answer",
    "4": "answered",
    "5": "busy",
    "8": "congestion",
}
FIXED = {
    "+447700900001": "always answers",
    "+447700900002": "always busy",
    "+447700900003": "never answers",
    "+447700900004": "congestion",
}


def lab_settings() -> tuple[AmiSettings, str]:
    info = json.loads(
        subprocess.run(
            [str(ROOT / "scripts" / "lab"), "status", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    settings = AmiSettings(
        host=info["DIALERD_LAB_AMI_HOST"],
        port=int(info["DIALERD_LAB_AMI_PORT"]),
        username=info["DIALERD_LAB_AMI_USER"],
        secret=info["DIALERD_LAB_AMI_SECRET"],
    )
    return settings, info["DIALERD_LAB_QUEUE"]


async def wait_for(stream: EventStream, name: str, key: str, value: str) -> Event:
    async for item in stream:
        if isinstance(item, Event) and item.name == name and item.get(key) == value:
            return item
    raise RuntimeError(f"AMI stream ended while waiting for {name}")


async def dial_fixed_numbers(client: AmiClient, stream: EventStream) -> None:
    pending = {}
    for number in FIXED:
        response = await client.send_action(
            "Originate",
            {
                "Channel": f"Local/{number}@lab-customers",
                "Application": "Wait",
                "Data": "1",
                "Async": "true",
                "Timeout": "8000",
            },
        )
        response.raise_for_error()
        pending[response.action_id] = number
    while pending:
        item = await anext(stream)
        if (
            isinstance(item, Event)
            and item.name == "OriginateResponse"
            and item.action_id in pending
        ):
            number = pending.pop(item.action_id)
            reason = REASONS.get(item.get("Reason", ""), item.get("Reason", "?"))
            print(f"  {number} ({FIXED[number]}): Reason {item.get('Reason')} = {reason}")


async def connect_to_agent(client: AmiClient, stream: EventStream, queue: str) -> None:
    attempt = uuid.uuid4().hex[:12]
    response = await client.send_action(
        "Originate",
        {
            "Channel": "Local/+447700900001@lab-customers",
            "Context": "dialerd-connect",
            "Exten": "s",
            "Priority": "1",
            "Async": "true",
            "Timeout": "15000",
            "Variable": [f"DIALERD_ATTEMPT={attempt}", f"DIALERD_QUEUE={queue}"],
        },
    )
    response.raise_for_error()
    answered = await wait_for(stream, "UserEvent", "Attempt", attempt)
    channel = answered.get("Channel", "")
    print(f"  customer answered: {channel}")
    connect = await wait_for(stream, "AgentConnect", "Channel", channel)
    print(f"  connected to {connect.get('MemberName')} after {connect.get('HoldTime')} s in queue")
    done = await wait_for(stream, "AgentComplete", "Channel", channel)
    print(f"  conversation ended after {done.get('TalkTime')} s ({done.get('Reason')} hung up)")


async def tour() -> None:
    settings, queue = lab_settings()
    async with AmiClient(settings) as client, client.events() as stream:
        print(f"AMI: logged in to {settings.host}:{settings.port} ({client.greeting})")
        members = (await client.send_list_action("QueueStatus", {"Queue": queue})).events
        agents = [m.get("Name") for m in members if m.name == "QueueMember"]
        print(f"queue {queue}: {len(agents)} simulated agents: {', '.join(map(str, agents))}")
        print("dialing the fixed customer numbers:")
        await dial_fixed_numbers(client, stream)
        print("one answered call through config/asterisk/dialerd.conf to an agent:")
        await connect_to_agent(client, stream, queue)


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(tour(), 120))
    sys.exit(0)
