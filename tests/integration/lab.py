"""The lab as tests see it: connection details read from `scripts/lab status --json`.

Integration tests never mock Asterisk, PostgreSQL or Redis; they use the services
`scripts/lab up` started. A lab that is down fails the test run (it is never skipped):
CI starts the lab itself, so a missing lab is a broken set-up, not a reason to pass.
"""

from __future__ import annotations

import asyncio
import csv
import json
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

    @classmethod
    def from_status(cls) -> Lab:
        proc = subprocess.run(
            [str(LAB_SCRIPT), "status", "--json"], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise LabDown(f"the lab is not up (run: scripts/lab up)\n{proc.stderr}")
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
