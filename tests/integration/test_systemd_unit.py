"""The files in systemd/ as systemd's own tools read them.

`systemd-analyze verify` must accept the unit without a single warning (it exits 0 even for
an unknown key, so its output is checked too), `systemd-analyze security --offline=true`
must rate it at most 2.5, and sysusers.d/tmpfiles.d must create the user and the state
directory in a scratch root. The tools come from Debian's systemd package, which
scripts/bootstrap installs when it is missing: a missing tool fails these tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from dialerd.cli import DEFAULT_CONFIG, EXIT_CONFIG, EXIT_FATAL, EXIT_UNAVAILABLE
from dialerd.config import MainConfig
from tests.integration.daemon import DIALERD
from tests.integration.lab import ROOT

SYSTEMD = ROOT / "systemd"
UNIT = SYSTEMD / "dialerd.service"
SHIPPED_BINARY = "/opt/dialerd/bin/dialerd"
MAX_EXPOSURE = 2.5
WRITER_DRAIN_S = 60  # Daemon._drain gives the outcome writer this long after the calls end


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} is missing: run scripts/bootstrap (installs systemd)"
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def settings(unit: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, values of repeated keys in order."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_verify_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    # verify checks that ExecStart's binary exists: point a copy at this venv's dialerd,
    # the one change from the shipped unit, which keeps its /opt/dialerd paths.
    shipped = UNIT.read_text()
    assert shipped.count(SHIPPED_BINARY) == 2  # ExecStartPre and ExecStart
    copy = tmp_path / "dialerd.service"
    copy.write_text(shipped.replace(SHIPPED_BINARY, str(DIALERD)))
    result = run(tool("systemd-analyze"), "verify", str(copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_security_exposure_is_at_most_2_5() -> None:
    result = run(tool("systemd-analyze"), "security", "--offline=true", str(UNIT))
    assert result.returncode == 0, result.stderr
    match = re.search(r"Overall exposure level for dialerd\.service: (\d+\.\d+)", result.stdout)
    assert match is not None, result.stdout
    assert float(match.group(1)) <= MAX_EXPOSURE, result.stdout


def test_the_unit_runs_the_daemon_as_a_notify_service_from_the_documented_paths() -> None:
    unit = settings(UNIT)
    config = DEFAULT_CONFIG
    assert unit["Type"] == ["notify"]
    assert unit["ExecStartPre"] == [f"{SHIPPED_BINARY} check-config -c {config}"]
    assert unit["ExecStart"] == [f"{SHIPPED_BINARY} run -c {config}"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["User"] == ["dialerd"]
    assert "WatchdogSec" in unit


def test_restart_policy_follows_the_exit_codes_of_the_cli() -> None:
    unit = settings(UNIT)
    assert unit["Restart"] == ["on-failure"]
    prevented = {int(code) for code in unit["RestartPreventExitStatus"][0].split()}
    assert {EXIT_CONFIG, EXIT_FATAL} <= prevented  # restarting cannot fix those
    assert EXIT_UNAVAILABLE not in prevented  # PostgreSQL or Asterisk may be back soon


def test_stop_timeout_leaves_room_for_the_default_drain() -> None:
    grace_s = MainConfig.model_fields["shutdown_grace_s"].default
    (stop,) = settings(UNIT)["TimeoutStopSec"]
    assert stop.endswith("s")
    assert float(stop.removesuffix("s")) > grace_s + WRITER_DRAIN_S


def test_sysusers_and_tmpfiles_create_the_user_and_the_state_directory(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    users = (SYSTEMD / "sysusers.d" / "dialerd.conf").read_text()
    made = subprocess.run(
        [tool("systemd-sysusers"), f"--root={tmp_path}", "-"],
        input=users, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    entry = next(ln for ln in (tmp_path / "etc/passwd").read_text().splitlines() if "dialerd" in ln)
    name, _, uid, gid, _, home, shell = entry.split(":")
    assert (name, home, shell) == ("dialerd", "/var/lib/dialerd", "/usr/sbin/nologin")
    assert int(uid) < 1000  # a system user

    dirs = (SYSTEMD / "tmpfiles.d" / "dialerd.conf").read_text()
    created = subprocess.run(
        [tool("systemd-tmpfiles"), f"--root={tmp_path}", "--create", "-"],
        input=dirs, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    state = (tmp_path / "var/lib/dialerd").stat()
    assert (state.st_mode & 0o777, state.st_uid, state.st_gid) == (0o750, int(uid), int(gid))
