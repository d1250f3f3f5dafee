"""The lab as tests see it: connection details read from `scripts/lab status --json`.

Integration tests never mock Asterisk, PostgreSQL or Redis; they use the services
`scripts/lab up` started. A lab that is down fails the test run (it is never skipped):
CI starts the lab itself, so a missing lab is a broken set-up, not a reason to pass.

A lab may run several Asterisks beside one PostgreSQL and one Redis (`DIALERD_LAB_ASTERISK=N
scripts/lab up`): a `Lab` is the lab as seen through one of them, the one `DIALERD_LAB_ASTERISK`
names (the first by default), so that a second pytest process can run on a second Asterisk
without its calls, agents and queue_log mixing with the first's.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ami import AmiSettings

ROOT = Path(__file__).resolve().parents[2]
LAB_SCRIPT = ROOT / "scripts" / "lab"


class LabDown(RuntimeError):
    """The lab is not running."""


@dataclass(frozen=True)
class Lab:
    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str
    database_url: str
    redis_url: str
    cdr_csv: Path
    queue_log: Path
    queue: str
    second_queue: str  # no members of its own: a test adds them
    customer_context: str
    agents: int
    asterisk: int  # which of the lab's Asterisks: 1, 2, ...
    cdr_database_url: str = ""  # where cdr_pgsql writes Asterisk's CDRs (table asterisk_cdr)

    @classmethod
    def from_status(cls, asterisk: int | None = None) -> Lab:
        """The lab through Asterisk `asterisk` (default: $DIALERD_LAB_ASTERISK, else 1)."""
        number = asterisk or int(os.environ.get("DIALERD_LAB_ASTERISK") or 1)
        proc = subprocess.run(
            [str(LAB_SCRIPT), "status", "--json"],
            capture_output=True,
            text=True,
            check=False,
            env=_env(number),
        )
        if proc.returncode != 0:
            how = "scripts/lab up" if number == 1 else f"scripts/lab up-asterisk {number}"
            raise LabDown(f"the lab's Asterisk {number} is not up (run: {how})\n{proc.stderr}")
        info = json.loads(proc.stdout)
        return cls(
            ami_host=info["DIALERD_LAB_AMI_HOST"],
            ami_port=int(info["DIALERD_LAB_AMI_PORT"]),
            ami_user=info["DIALERD_LAB_AMI_USER"],
            ami_secret=info["DIALERD_LAB_AMI_SECRET"],
            database_url=info["DIALERD_LAB_DATABASE_URL"],
            redis_url=info["DIALERD_LAB_REDIS_URL"],
            cdr_csv=Path(info["DIALERD_LAB_CDR_CSV"]),
            queue_log=Path(info["DIALERD_LAB_QUEUE_LOG"]),
            queue=info["DIALERD_LAB_QUEUE"],
            second_queue=info["DIALERD_LAB_SECOND_QUEUE"],
            customer_context=info["DIALERD_LAB_CUSTOMER_CONTEXT"],
            agents=int(info["DIALERD_LAB_AGENTS"]),
            asterisk=int(info["DIALERD_LAB_ASTERISK"]),
            cdr_database_url=info.get("DIALERD_LAB_CDR_DATABASE_URL", ""),
        )

    def ami_settings(self, **overrides: float | str) -> AmiSettings:
        settings = AmiSettings(
            host=self.ami_host,
            port=self.ami_port,
            username=self.ami_user,
            secret=self.ami_secret,
        )
        return AmiSettings(**{**settings.__dict__, **overrides})

    async def restart_asterisk(self, *, hard: bool = False) -> None:
        """Restart Asterisk; `hard` kills it with SIGKILL first (a crash: no goodbye)."""
        proc = await asyncio.create_subprocess_exec(
            str(LAB_SCRIPT),
            "restart-asterisk",
            *(["--hard"] if hard else []),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=_env(self.asterisk),
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise LabDown(f"restart-asterisk failed: {err.decode()}")

    async def service(self, action: str) -> None:
        """`stop-postgres`, `start-postgres`, `stop-redis` or `start-redis` in the lab."""
        proc = await asyncio.create_subprocess_exec(
            str(LAB_SCRIPT),
            action,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=_env(self.asterisk),
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise LabDown(f"{action} failed: {err.decode()}")

    def cdr_rows(self) -> list[dict[str, str]]:
        """Asterisk's own call records (cdr_csv with newcdrcolumns), oldest first."""
        if not self.cdr_csv.exists():
            return []
        with self.cdr_csv.open(newline="", encoding="utf-8") as handle:
            return [dict(zip(CDR_COLUMNS, row, strict=False)) for row in csv.reader(handle)]


def _env(asterisk: int) -> dict[str, str]:
    """The environment for `scripts/lab`, aimed at one of the lab's Asterisks."""
    return {**os.environ, "DIALERD_LAB_ASTERISK": str(asterisk)}


# cdr_csv column order with loguniqueid, loguserfield and newcdrcolumns enabled.
CDR_COLUMNS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
)
