"""Screen pop, end to end: the real daemon dials the lab, an agent takes the call.

While the agent talks, Asterisk itself is asked (AMI Getvar on the agent's channel, named by
the AgentConnect event) for the lead's variables and for the caller name the agent's side
sees; a name and a field holding commas, percent signs and brackets come back whole once
decoded. One ``call_connected`` webhook reaches a loopback HTTP server, signed, with the
lead's data and the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote

from ami import AmiClient, Event
from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, wait_until
from tests.integration.lab import Lab
from tests.webhook_server import webhook_server

SECRET = "lab-screen-pop-secret"
NAME = "Шевченко, Olena (VIP)"
NOTES = "called twice, 50% off; ${EVIL} | x"
ANSWER_LONG_TALK = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
                    "LAB_TALK_MIN_S": "6", "LAB_TALK_MAX_S": "6"}  # fmt: skip
SCREEN_POP = """\
followups:
  url: "{url}"
  secret: "{secret}"
  kinds: [missed_call]
  delivery:
    backoff_s: 0.5
    max_backoff_s: 1
    timeout_s: 1
screen_pop:
  fields: [account, notes]
  webhook: true
"""


@contextlib.asynccontextmanager
async def agent_connects(ami: AmiClient) -> AsyncIterator[list[Event]]:
    """The AgentConnect events Asterisk sends meanwhile."""
    seen: list[Event] = []

    async def collect() -> None:
        async with ami.events() as stream:
            async for item in stream:
                if isinstance(item, Event) and item.name == "AgentConnect":
                    seen.append(item)

    task = asyncio.create_task(collect())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def getvar(ami: AmiClient, channel: str, variable: str) -> str:
    response = await ami.send_action("Getvar", {"Channel": channel, "Variable": variable})
    response.raise_for_error()
    return response.get("Value") or ""


async def test_the_agents_channel_and_the_crm_learn_who_the_customer_is(
    lab: Lab, tmp_path: Path
) -> None:
    number = f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"
    leads = tmp_path / "leads.csv"
    leads.write_text(f'external_id,name,phone,account,notes\nS1,"{NAME}",{number},AC-7,"{NOTES}"\n')
    with webhook_server() as server:
        yaml = CAMPAIGN + SCREEN_POP.format(url=server.url, secret=SECRET)
        async with (
            fresh_database(lab) as database,
            lab_world(lab, **ANSWER_LONG_TALK) as ami,
            agent_connects(ami) as connects,
        ):
            dialer = Dialer(lab, database, tmp_path, retry_s=600, campaign_yaml=yaml)
            dialer.import_csv(leads)
            dialer.start()
            try:
                await wait_until(lambda: _one(connects), timeout_s=30, interval_s=0.2)
                agent_channel = connects[0].get("DestChannel") or ""
                seen = {
                    name: await getvar(ami, agent_channel, name)
                    for name in (
                        "DIALERD_LEAD_ID",
                        "DIALERD_LEAD_NAME",
                        "DIALERD_ATTEMPT",
                        "DIALERD_EXTERNAL_ID",
                        "DIALERD_CAMPAIGN",
                        "DIALERD_FIELD_account",
                        "DIALERD_FIELD_notes",
                        "CONNECTEDLINE(name)",
                    )
                }
                await wait_until(lambda: _one(server.delivered()), timeout_s=20, interval_s=0.2)
            finally:
                assert dialer.stop() == 0
    attempt = connects[0].get("Uniqueid")
    assert (seen["DIALERD_ATTEMPT"], seen["DIALERD_EXTERNAL_ID"]) == (attempt, "S1")
    assert seen["DIALERD_CAMPAIGN"] == "labtest"
    assert seen["DIALERD_LEAD_ID"].isdigit()
    assert "," not in seen["DIALERD_LEAD_NAME"] + seen["DIALERD_FIELD_notes"]
    assert unquote(seen["DIALERD_LEAD_NAME"]) == NAME
    assert (seen["DIALERD_FIELD_account"], unquote(seen["DIALERD_FIELD_notes"])) == ("AC-7", NOTES)
    assert seen["CONNECTEDLINE(name)"] == NAME, "the agent's side shows the lead's name"
    (hook,) = server.delivered()
    assert hook.signed_with(SECRET)
    assert hook.key == f"call_connected:{attempt}"
    assert hook.headers["X-Dialerd-Event"] == "call_connected"
    body = hook.payload()
    assert body["lead"]["id"] == int(seen["DIALERD_LEAD_ID"])
    assert (body["lead"]["name"], body["lead"]["external_id"], body["number"]) == (
        NAME,
        "S1",
        number,
    )
    assert body["screen_pop"] == {"account": "AC-7", "notes": NOTES}
    assert body["agent"]["name"] == connects[0].get("MemberName")
    assert body["attempt"]["id"] == attempt


async def _one(items: list[object]) -> bool | str:
    await asyncio.sleep(0)
    return True if len(items) == 1 else f"{len(items)} seen"
