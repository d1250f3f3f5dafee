"""The daemon's exception tree.

    DialerdError
    ├── ConfigError    invalid configuration: fatal at start; on reload the old one is kept
    ├── Fatal          the process cannot go on (bad credentials, database not at head)
    └── Unavailable    a service it needs (PostgreSQL, Asterisk, Redis) cannot be reached at
                       start: a later start may succeed, so systemd restarts it

Adapters translate foreign exceptions (asyncpg, redis, OSError) into these, or into their own
subclasses of DialerdError, at their boundary; nothing foreign leaks upward.
"""

from __future__ import annotations

from dataclasses import dataclass


class DialerdError(Exception):
    """Root of every error dialerd raises on purpose."""


class Fatal(DialerdError):
    """Retrying will not help; the process exits non-zero with this message."""


class Unavailable(DialerdError):
    """Something the daemon needs is down right now; starting again later may work."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a configuration file, located for the person who edits it."""

    file: str
    line: int  # 1-based; 0 when the problem is the file as a whole
    column: int  # 1-based; 0 when unknown
    field: str  # dotted path, e.g. "retry.busy.delay_s"; "" for the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigError(DialerdError):
    """Every problem found, reported at once (an admin fixes them all in one go)."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
