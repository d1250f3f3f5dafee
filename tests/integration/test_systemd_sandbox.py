"""The daemon works inside the seccomp part of dialerd.service's sandbox.

MemoryDenyWriteExecute=, SystemCallFilter= and RestrictAddressFamilies= are what could
break CPython or one of its extension modules (asyncpg, pydantic-core, greenlet…), so the
daemon is run under the same seccomp rules (tests/integration/sandbox_exec.py builds them
from the unit's own lines) and must start, dial, record outcomes and stop cleanly.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.integration.daemon import Dialer, fresh_database, query, wait_until
from tests.integration.lab import ROOT, Lab
from tests.integration.notify import exit_code, notify_socket, send

UNIT = ROOT / "systemd" / "dialerd.service"
SYSTEM_PYTHON = "/usr/bin/python3"  # has Debian's python3-seccomp; the venv does not
SANDBOX = (SYSTEM_PYTHON, str(Path(__file__).with_name("sandbox_exec.py")), str(UNIT))

PROBE = """
import errno, mmap, os, socket
def attempt(what, action):
    try:
        action()
        print(what, "allowed")
    except OSError as exc:
        print(what, "refused", errno.errorcode[exc.errno])
attempt("mmap-wx", lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_WRITE | mmap.PROT_EXEC))
attempt("mmap-rx", lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC))
attempt("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW))
attempt("inet6", lambda: socket.socket(socket.AF_INET6).close())
attempt("chroot", lambda: os.chroot("/"))
"""
SANDBOXED = {
    "mmap-wx": "refused EPERM",
    "mmap-rx": "allowed",
    "netlink": "refused EAFNOSUPPORT",
    "inet6": "allowed",
    "chroot": "refused EPERM",  # @privileged is removed from the allow-list
}


def probe(*wrapper: str) -> dict[str, str]:
    result = subprocess.run(
        [*wrapper, sys.executable, "-c", PROBE], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


def test_the_sandbox_refuses_what_the_unit_forbids() -> None:
    # The control run shows the probes can succeed here, so the refusals come from the rules.
    assert set(probe().values()) == {"allowed"}
    assert probe(*SANDBOX) == SANDBOXED


def write_leads(path: Path, count: int) -> None:
    lines = ["external_id,name,phone"]
    lines += [f"S{n},Lead {n},+38050{1_000_000 + n}" for n in range(count)]
    path.write_text("\n".join(lines) + "\n")


async def ended_attempts(url: str, at_least: int) -> bool | str:
    rows = await query(url, "SELECT count(*) AS n FROM call_attempts WHERE ended_at IS NOT NULL")
    return True if rows[0]["n"] >= at_least else f"{rows[0]['n']} attempts ended"


async def test_the_daemon_dials_and_stops_cleanly_inside_the_sandbox(
    lab: Lab, tmp_path: Path
) -> None:
    async with fresh_database(lab) as url, notify_socket() as notify:
        dialer = Dialer(lab, url, tmp_path, extra_config=f"redis:\n  url: {lab.redis_url}\n")
        write_leads(tmp_path / "leads.csv", 12)
        dialer.import_csv(tmp_path / "leads.csv")
        dialer.start(env=notify.env(), wrapper=SANDBOX)
        try:
            await notify.until("READY", timeout_s=60)
            await wait_until(lambda: ended_attempts(url, 6), timeout_s=90)
            send(dialer, signal.SIGTERM)
            assert await exit_code(dialer, timeout_s=120) == 0, dialer.log_text()
        finally:
            if dialer.process is not None:
                dialer.stop(signal.SIGKILL)
        open_attempts = await query(
            url, "SELECT count(*) AS n FROM call_attempts WHERE ended_at IS NULL"
        )
        assert open_attempts[0]["n"] == 0
        assert '"level": "error"' not in dialer.log_text()
