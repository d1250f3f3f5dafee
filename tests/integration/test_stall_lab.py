"""The AMI link stalls: the TCP connection stays open and no byte passes either way.

Nothing closes, so only the keepalive can tell: the daemon pings every second and gives up
after `ping_timeout_s` (2 s here, set in dialerd.yaml) without an answer. It then stops
dialling (/status says `ami_down` for the campaign), reconnects when the link carries bytes
again, resynchronises and dials on. Originates sent into the stall before it was noticed
never reach Asterisk: those attempts end `unknown` (no CDR); no attempt is lost, none is
dialled twice. Calls that ended during the stall end `unknown` too (their last events were
swallowed), though Asterisk's CDR knows how they ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.amiproxy import AmiProxy
from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.fault_checks import all_attempts, log_events, tally, write_summary
from tests.integration.lab import Lab
from tests.integration.test_campaign_lab import FAST_WORLD, RETRY_S, asterisk_view, write_leads
from tests.integration.test_restart_lab import all_ended, attempts_since
from tests.integration.test_status_lab import codes_by_campaign, page, ready_again

STALL_HELD_S = 8  # after the daemon noticed: no dial may start meanwhile
PING_TIMEOUT_S = 2  # the daemon's asterisk[].ping_timeout_s (it pings every second)


class KeepaliveDialer(Dialer):
    """The harness's dialer with the keepalive's timeout set in dialerd.yaml."""

    def write_config(self) -> Path:
        config = super().write_config()
        ping = "    ping_interval_s: 1\n"
        text = config.read_text()
        assert ping in text, text
        config.write_text(text.replace(ping, f"{ping}    ping_timeout_s: {PING_TIMEOUT_S}\n"))
        return config


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def ami_down(dialer: Dialer) -> bool | str:
    _, status = await page(dialer, "/status")
    codes = codes_by_campaign(status)
    return True if codes and all(c == ["ami_down"] for c in codes.values()) else f"{codes}"


async def test_a_stalled_ami_link_is_noticed_by_the_keepalive_and_dialing_pauses(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    proxy = AmiProxy(lab.ami_host, lab.ami_port)
    await proxy.open()
    dialer = KeepaliveDialer(replace(lab, ami_port=proxy.port), database, tmp_path, retry_s=RETRY_S)
    write_leads(tmp_path / "leads.csv", 90, seed=41)
    dialer.import_csv(tmp_path / "leads.csv")
    started = datetime.now(UTC)
    async with lab_world(lab, extra_agents=10, **FAST_WORLD):
        dialer.start()
        try:
            await wait_until(lambda: attempts_since(database, started, 20), 90, 0.5)
            open_rows = await query(
                database, "SELECT attempt_id FROM call_attempts WHERE ended_at IS NULL"
            )
            proxy.stall()
            stalled_at = datetime.now(UTC)
            await wait_until(lambda: ami_down(dialer), 20, 0.25)
            noticed_at = datetime.now(UTC)
            await asyncio.sleep(STALL_HELD_S)
            resumed_at = datetime.now(UTC)
            proxy.resume()
            await wait_until(lambda: ready_again(dialer), 40, 0.5)
            await wait_until(lambda: attempts_since(database, resumed_at, 10), 60, 0.5)
            in_flight = {str(r["attempt_id"]) for r in open_rows}
            await wait_until(lambda: all_ended(database, in_flight), 60, 1)
        finally:
            code = await asyncio.to_thread(dialer.stop)
            await proxy.close()
    assert code == 0, dialer.log_text()[-3000:]
    log = dialer.log_text()
    # the keepalive with the configured timeout noticed it, not a closed socket
    assert f"no answer to Ping within {PING_TIMEOUT_S:g} s" in log, log[-3000:]
    changes = [e["connected"] for e in log_events(log, "ami_connection_changed")]
    assert changes[:2] == [False, True], changes
    attempts = await all_attempts(database)
    # No Originate while the stall was known: an attempt row comes before each one.
    meanwhile = [a for a in attempts if noticed_at < a["created_at"] < resumed_at]
    assert meanwhile == [], meanwhile
    # Originates swallowed before it was noticed: no CDR, and the attempt ends unknown.
    cdr = asterisk_view(lab, {str(a["attempt_id"]) for a in attempts})
    unseen = [a for a in attempts if str(a["attempt_id"]) not in cdr]
    assert all(a["outcome"] == "unknown" for a in unseen), unseen
    window = (stalled_at - timedelta(seconds=1), noticed_at)
    assert all(window[0] <= a["created_at"] <= window[1] for a in unseen), (unseen, window)
    result = tally(lab, attempts, started, RETRY_S)
    write_summary(tmp_path, result.summary("AMI stall", 1))
    assert (result.lost, result.duplicated) == ([], []), result
    assert proxy.connections >= 2, "the daemon reconnected through the relay"
