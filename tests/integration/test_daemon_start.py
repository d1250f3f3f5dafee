"""`dialerd run` refuses a database that is not at the schema head, and says what to do;
`check-config` names every problem; SIGUSR1/SIGUSR2 show what a running daemon is doing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from tests.integration.daemon import DIALERD, Dialer, fresh_database, wait_until
from tests.integration.lab import Lab


def run_dialerd(dialer: Dialer, *args: str) -> subprocess.CompletedProcess[str]:
    config = dialer.workdir / "dialerd.yaml"
    if not config.exists():
        dialer.write_config()
    env = {**os.environ, "DIALERD_TEST_AMI_SECRET": dialer.lab.ami_secret}
    return subprocess.run(
        [str(DIALERD), *args, "-c", str(config)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


async def test_run_refuses_an_unmigrated_database_then_migrate_fixes_it(
    lab: Lab, tmp_path: Path
) -> None:
    async with fresh_database(lab, migrated=False) as url:
        dialer = Dialer(lab, url, tmp_path)
        refused = run_dialerd(dialer, "run", "--duration-s", "1")
        assert refused.returncode == 3
        assert "dialerd migrate" in refused.stderr
        migrated = run_dialerd(dialer, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        ran = run_dialerd(dialer, "run", "--duration-s", "1")
        assert ran.returncode == 0, ran.stderr


async def test_check_config_reports_every_problem_with_file_and_line(
    lab: Lab, tmp_path: Path
) -> None:
    dialer = Dialer(lab, "postgresql+asyncpg://x@127.0.0.1:1/x", tmp_path)
    dialer.write_config()
    campaign = tmp_path / "campaigns" / "labtest.yaml"
    text = campaign.read_text().replace("ring_timeout_s: 15", "ring_timeout_s: 5")
    campaign.write_text(text.replace("wrapup_s: 2", "wrapup_s: 2\nspeed: fast"))
    result = run_dialerd(dialer, "check-config")
    assert result.returncode == 1
    lines = text.splitlines()
    ring_line = next(n for n, line in enumerate(lines, 1) if "ring_timeout_s" in line) + 1
    assert f"labtest.yaml:{ring_line}:3: dial.ring_timeout_s:" in result.stderr
    assert "labtest.yaml:5:1: speed: unknown key" in result.stderr


async def test_signals_dump_the_loops_tasks_and_every_threads_stack(
    lab: Lab, tmp_path: Path
) -> None:
    async with fresh_database(lab) as url:
        dialer = Dialer(lab, url, tmp_path)
        dialer.start()
        try:
            assert dialer.process is not None
            await wait_until(lambda: logged(dialer, '"daemon_started"'), timeout_s=60)
            dialer.process.send_signal(signal.SIGUSR2)
            await wait_until(lambda: logged(dialer, '"task_dump"'), timeout_s=10)
            dialer.process.send_signal(signal.SIGUSR1)
            await wait_until(lambda: logged(dialer, "Current thread"), timeout_s=10)
        finally:
            code = dialer.stop()
    dumps = [line for line in dialer.log_text().splitlines() if '"task_dump"' in line]
    tasks = {json.loads(line)["task"] for line in dumps}
    assert {"ami-events", "outcome-writer", f"campaign-{dialer.campaign}"} <= tasks
    assert code == 0  # neither signal disturbs the daemon


async def logged(dialer: Dialer, text: str) -> bool | str:
    return True if text in dialer.log_text() else f"no {text} yet"
