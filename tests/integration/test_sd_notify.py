"""`dialerd run` speaks the systemd notify protocol to a real NOTIFY_SOCKET.

The test binds the datagram socket systemd would bind, starts the real daemon against the
lab with NOTIFY_SOCKET and WATCHDOG_USEC set (WATCHDOG_PID too, as systemd sets it: the
daemon's own pid), and reads what arrives: STATUS lines while starting, READY=1 only once
the daemon has started, watchdog pings at half the interval, RELOADING=1 … READY=1
around SIGHUP, STOPPING=1 on SIGTERM. A start that fails never sends READY=1.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import signal
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database
from tests.integration.lab import Lab
from tests.integration.notify import (
    WATCHDOG_USEC,
    NotifyListener,
    exit_code,
    notify_socket,
    send,
)

# Exec the daemon from a shell that first names its own pid, which exec keeps: this is
# how the daemon sees WATCHDOG_PID under systemd (the pid of the main process).
AS_WATCHDOG_PID = ("/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"')


def redis_section(url: str) -> str:
    return f"redis:\n  url: {url}\n"


async def test_status_then_ready_then_watchdog_reload_and_stopping(
    lab: Lab, tmp_path: Path
) -> None:
    async with fresh_database(lab) as url, notify_socket() as notify:
        dialer = Dialer(lab, url, tmp_path, extra_config=redis_section(lab.redis_url))
        dialer.start(env=notify.env(), wrapper=AS_WATCHDOG_PID)
        try:
            ready = await notify.until("READY", timeout_s=60)
            # READY=1 follows the start-up: AMI logged in, database at head, Redis pinged.
            assert '"event": "daemon_started"' in dialer.log_text()
            assert ready.fields == {"READY": "1", "STATUS": "dialing 1 campaign"}
            assert notify.statuses()[:3] == [
                "starting: checking the database schema",
                "starting: checking Redis",
                f"starting: connecting to Asterisk AMI at {lab.ami_host}:{lab.ami_port}",
            ]
            await assert_watchdog_pings(notify, ready.at)
            await assert_reload_is_announced(notify, dialer)

            send(dialer, signal.SIGTERM)
            stopping = await notify.until("STOPPING", timeout_s=10)
            assert stopping.fields["STATUS"].startswith("draining: 0 calls in progress")
            assert await exit_code(dialer, timeout_s=90) == 0
        finally:
            if dialer.process is not None:
                dialer.stop(signal.SIGKILL)


async def assert_watchdog_pings(notify: NotifyListener, ready_at: float) -> None:
    await asyncio.sleep(3.0)
    pings = [m.at for m in notify.with_key("WATCHDOG") if m.at >= ready_at]
    assert len(pings) >= 4, f"{len(pings)} watchdog pings in 3 s (one every 0.5 s expected)"
    gaps = [later - earlier for earlier, later in itertools.pairwise(pings)]
    # What matters to systemd: no gap reaches the timeout (WATCHDOG_USEC, 1 s here).
    assert max(gaps) < WATCHDOG_USEC / 1e6, f"watchdog gaps {gaps}"
    assert all(m.fields == {"WATCHDOG": "1"} for m in notify.with_key("WATCHDOG"))


async def assert_reload_is_announced(notify: NotifyListener, dialer: Dialer) -> None:
    send(dialer, signal.SIGHUP)
    reloading = await notify.until("RELOADING", timeout_s=10)
    assert int(reloading.fields["MONOTONIC_USEC"]) > 0
    ready_again = await notify.until("READY", timeout_s=10)
    assert ready_again.fields["STATUS"] == "dialing 1 campaign"
    assert '"event": "config_reloaded"' in dialer.log_text()


BAD_STARTS: Sequence[tuple[str, int, str]] = (
    ("database-down", 4, "starting: checking the database schema"),
    ("database-not-migrated", 3, "starting: checking the database schema"),
    ("ami-secret-wrong", 3, "starting: connecting to Asterisk AMI"),
    ("ami-down", 4, "starting: connecting to Asterisk AMI at 127.0.0.1:1"),  # after 30 s
    ("redis-down", 4, "starting: checking Redis"),
    ("redis-password-wrong", 3, "starting: checking Redis"),
)  # exit 3: fatal, systemd does not restart; exit 4: unreachable, systemd restarts


def break_start(case: str, dialer: Dialer, lab: Lab) -> dict[str, str]:
    """Spoil one thing the start-up needs; the environment the daemon gets."""
    redis_host = lab.redis_url.rsplit("@", 1)[1]
    if case == "ami-down":
        dialer.lab = dataclasses.replace(lab, ami_host="127.0.0.1", ami_port=1)
    elif case == "database-down":
        dialer.database_url = "postgresql+asyncpg://dialerd@127.0.0.1:1/dialerd"
    elif case == "redis-down":
        dialer.extra_config = redis_section("redis://127.0.0.1:1/0")
    elif case == "redis-password-wrong":
        dialer.extra_config = redis_section(f"redis://:not-the-password@{redis_host}")
    elif case == "ami-secret-wrong":
        return {"DIALERD_TEST_AMI_SECRET": "not-the-secret"}
    return {}


@pytest.mark.parametrize(
    ("case", "code", "last_status"),
    BAD_STARTS,
    ids=[c[0] for c in BAD_STARTS],
)
async def test_a_start_that_fails_never_sends_ready(
    lab: Lab, tmp_path: Path, case: str, code: int, last_status: str
) -> None:
    async with fresh_database(lab, migrated=case != "database-not-migrated") as url:
        dialer = Dialer(lab, url, tmp_path)
        env = break_start(case, dialer, lab)
        async with notify_socket() as notify:
            dialer.start(env={**notify.env(), **env})
            assert await exit_code(dialer, timeout_s=60) == code, dialer.log_text()
            await asyncio.sleep(0.2)  # let the listener read what is still queued
        assert notify.with_key("READY") == []
        assert notify.statuses()[-1].startswith(last_status)
