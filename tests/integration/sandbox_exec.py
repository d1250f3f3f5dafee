"""Exec a command under the seccomp rules systemd derives from dialerd.service.

    /usr/bin/python3 sandbox_exec.py UNIT COMMAND [ARG...]

There is no systemd as PID 1 where the tests run, so the unit cannot be started for real.
What can break CPython or an extension module is the seccomp part of the sandbox, and that
part is reproduced here from the unit's own lines, as systemd builds it:

- SystemCallFilter= (an allow-list of groups, then ~ removals; groups expanded by
  `systemd-analyze syscall-filter`) with SystemCallErrorNumber=EPERM;
- MemoryDenyWriteExecute=yes: no mmap with PROT_WRITE|PROT_EXEC, no mprotect/pkey_mprotect
  to PROT_EXEC, no shmat with SHM_EXEC;
- RestrictAddressFamilies=: socket() of any other family fails with EAFNOSUPPORT.

Each is its own filter, as in systemd; the kernel applies the strictest answer. Runs under
the system Python because it needs python3-seccomp (Debian), which scripts/bootstrap installs.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import seccomp  # type: ignore[import-not-found]

SHM_EXEC = 0o100000
MAX_FAMILY = 64  # above every AF_* Linux defines


def unit_values(unit: Path, key: str) -> list[str]:
    lines = unit.read_text().splitlines()
    return [ln.split("=", 1)[1].strip() for ln in lines if ln.startswith(f"{key}=")]


def syscall_groups() -> dict[str, list[str]]:
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is missing: run scripts/bootstrap"
    listing = subprocess.run(
        [analyze, "syscall-filter"], capture_output=True, text=True, check=True
    ).stdout
    groups: dict[str, list[str]] = {}
    current: list[str] = []
    for line in listing.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    return groups


def expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    found: set[str] = set()
    for name in names:
        found |= expand(groups[name], groups) if name.startswith("@") else {name}
    return found


def allowed_syscalls(unit: Path) -> set[str]:
    groups = syscall_groups()
    allowed: set[str] = set()
    for value in unit_values(unit, "SystemCallFilter"):
        if value.startswith("~"):
            allowed -= expand(value[1:].split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    return allowed


def syscall_filter(unit: Path) -> seccomp.SyscallFilter:
    (error_name,) = unit_values(unit, "SystemCallErrorNumber")
    rules = seccomp.SyscallFilter(defaction=seccomp.ERRNO(getattr(errno, error_name)))
    for name in sorted(allowed_syscalls(unit)):
        # Names that are no system call on this architecture are skipped, as systemd does.
        with contextlib.suppress(RuntimeError, ValueError):
            rules.add_rule(seccomp.ALLOW, name)
    return rules


def write_execute_filter() -> seccomp.SyscallFilter:
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    both, exe = mmap.PROT_WRITE | mmap.PROT_EXEC, mmap.PROT_EXEC
    rules.add_rule(deny, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, both, both))
    for name in ("mprotect", "pkey_mprotect"):
        rules.add_rule(deny, name, seccomp.Arg(2, seccomp.MASKED_EQ, exe, exe))
    rules.add_rule(deny, "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
    return rules


def address_family_filter(unit: Path) -> seccomp.SyscallFilter:
    (families,) = unit_values(unit, "RestrictAddressFamilies")
    allowed = {int(getattr(socket, name)) for name in families.split()}
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    refuse = seccomp.ERRNO(errno.EAFNOSUPPORT)
    for family in sorted(set(range(MAX_FAMILY)) - allowed):
        rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.EQ, family))
    rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.GE, MAX_FAMILY))
    return rules


def main() -> None:
    unit = Path(sys.argv[1])
    command = sys.argv[2:]
    filters = [address_family_filter(unit)]
    if unit_values(unit, "MemoryDenyWriteExecute") == ["yes"]:
        filters.append(write_execute_filter())
    filters.append(syscall_filter(unit))  # last: it may not allow loading another filter
    for rules in filters:
        rules.load()  # sets no_new_privs first, as NoNewPrivileges=yes does
    os.execv(command[0], command)  # noqa: S606 - the command the test chose, no shell


if __name__ == "__main__":
    main()
