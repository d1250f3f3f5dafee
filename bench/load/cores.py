"""A core of its own for the daemon, as `CPUAffinity=` gives it in production.

`split` puts every thread of the given processes on one CPU and every other user-space
thread on the machine (Asterisk, PostgreSQL, Redis, the bench, anybody else's work) on the
remaining CPUs. Threads and processes started later inherit their parent's set, so calling
`split` again every few seconds catches the few that did not come from a pinned parent.
`restore` gives every user-space thread all CPUs back. Kernel threads are left alone.

This is what docs/operations.md recommends when Asterisk runs on the dialer's host: a
systemd drop-in with `CPUAffinity=` for dialerd and the complement for asterisk.service.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path

PROC = Path("/proc")


def all_cpus() -> set[int]:
    return set(range(os.cpu_count() or 1))


def split(own: Collection[int], core: int) -> int:
    """Pin the processes `own` to `core`, everything else to the other CPUs; returns how
    many threads were placed."""
    rest = all_cpus() - {core}
    if not rest:
        raise ValueError("one CPU only: nothing to split")
    own_set = set(own)
    placed = 0
    for pid, tid in _user_threads():
        placed += _place(tid, {core} if pid in own_set else rest)
    return placed


def restore() -> int:
    """Every user-space thread back on every CPU; returns how many were placed."""
    cpus = all_cpus()
    return sum(_place(tid, cpus) for _, tid in _user_threads())


def _place(tid: int, cpus: set[int]) -> int:
    try:
        os.sched_setaffinity(tid, cpus)
    except OSError:  # gone meanwhile, or a thread bound by its owner
        return 0
    return 1


def _user_threads() -> Iterator[tuple[int, int]]:
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "cmdline").read_bytes():  # a kernel thread
                continue
            tids = [int(t.name) for t in (entry / "task").iterdir()]
        except OSError:  # gone meanwhile
            continue
        for tid in tids:
            yield int(entry.name), tid
