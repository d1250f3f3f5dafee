"""`dialerd run` refuses a database that is not at the schema head, and says what to do."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.integration.daemon import DIALERD, Dialer, fresh_database
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
