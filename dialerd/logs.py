"""Structured logs: JSON lines on stdout (journald keeps them), phone numbers masked.

Event names are snake_case past tense (`call_ended`); context such as the campaign and
the attempt id is bound by the caller. Every E.164 number in a string value (a field of
its own, an error message, a dial string) shows only its country code and last two
digits. Under systemd, whose journal reads the daemon's stdout, each line starts with a
syslog priority prefix (`<4>` for a warning), so `journalctl -p warning` finds it; the
prefix is left out when stdout is anything else, so a terminal or a pipe sees plain JSON.
A failure that repeats on every loop tick is logged through `Repeats`: once, then at most
once a minute with how many times it happened meanwhile.

Secrets never reach a log line: the password of any `scheme://user:password@host` URL is
shown as `***`, and every secret the configuration revealed (`hide_secrets`: the AMI
secret, the database and Redis passwords, the HTTP token) is replaced by `***` wherever it
appears, in a field, an error message or a traceback. `redact` does the same for the text
the command line prints.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, MutableMapping
from types import TracebackType
from typing import Any

import structlog
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

# sd-daemon(3) priorities, by structlog level name.
PRIORITIES = {"critical": 2, "exception": 3, "error": 3, "warning": 4, "info": 6, "debug": 7}


E164 = re.compile(r"\+(\d{6,15})")
URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)[^@/?#\s]*@")
HIDDEN = "***"
MIN_SECRET_CHARS = 4  # shorter values are too common to replace everywhere (and too weak)
_hidden: set[str] = set()


def hide_secrets(values: Iterable[str | None]) -> None:
    """Replace these values by `***` in every later log line and in `redact`'s output."""
    _hidden.update(v for v in values if v is not None and len(v) >= MIN_SECRET_CHARS)


def forget_secrets() -> None:
    """Hide no configured secret any more (for tests: a process loads one configuration)."""
    _hidden.clear()


def redact(text: str) -> str:
    """`text` with URL passwords and every secret given to `hide_secrets` replaced."""
    text = URL_PASSWORD.sub(lambda match: f"{match.group('head')}{HIDDEN}@", text)
    for secret in sorted(_hidden, key=len, reverse=True):  # a secret inside another one
        text = text.replace(secret, HIDDEN)
    return text


COUNTRY_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)


def mask_number(value: str) -> str:
    """`+447700900123` -> `+44********23`: a star per hidden digit; enough to tell calls
    apart, not to dial."""
    return E164.sub(_masked, value)


def _masked(match: re.Match[str]) -> str:
    digits = match.group(1)
    # Country codes are prefix-free (ITU-T E.164): at most one of these is one.
    code = next((digits[:n] for n in (1, 2, 3) if digits[:n] in COUNTRY_CODES), digits[:1])
    return f"+{code}{'*' * (len(digits) - len(code) - 2)}{digits[-2:]}"


def install_excepthook() -> None:
    """A crash's traceback goes through `redact` too: Python's own hook prints it as is."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))

    sys.excepthook = hook


def _mask_numbers(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = mask_number(redact(value))
    return event


def writes_to_journal(stream: Any) -> bool:
    """True when `stream` is the journal stream systemd gave this process ($JOURNAL_STREAM
    is "device:inode" of it, see systemd.exec(5))."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        status = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return expected == f"{status.st_dev}:{status.st_ino}"


def _with_priority(render: Callable[..., Any]) -> Callable[..., str]:
    def prefixed(logger: Any, method: str, event: MutableMapping[str, Any]) -> str:
        priority = PRIORITIES.get(str(event.get("level", method)), 6)
        return f"<{priority}>{render(logger, method, event)}"

    return prefixed


class _LibraryFormatter(logging.Formatter):
    """Libraries' log lines (alembic, asyncio) as `name: message`, prefixed too."""

    def __init__(self, journal: bool) -> None:
        super().__init__("%(name)s: %(message)s")
        self._journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = mask_number(redact(super().format(record)))
        if not self._journal:
            return text
        return f"<{PRIORITIES.get(record.levelname.lower(), 6)}>{text}"


def configure(level: str = "info", stream: Any = None) -> None:
    """JSON lines to `stream` (stdout, for the daemon; the other commands log to stderr)."""
    out = stream or sys.stdout
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LibraryFormatter(journal=writes_to_journal(sys.stderr)))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    render: Callable[..., Any] = structlog.processors.JSONRenderer()
    if writes_to_journal(out):
        render = _with_priority(render)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _mask_numbers,
            render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(out),
        # Not cached: `dialerd` configures once for every command and again for `run`, and
        # a logger cached in between would keep the first set-up (and its stream).
        cache_logger_on_first_use=False,
    )


class Repeats:
    """Logs an event the first time, then at most once per `every_s`, with the count of
    the times it was left out; `clear` after a success so the next failure shows at once."""

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._every_s = every_s
        self._clock = clock
        self._seen: dict[str, tuple[float, int]] = {}

    def warning(self, logger: Any, event: str, **fields: Any) -> None:
        self._emit(logger.warning, event, fields)

    def info(self, logger: Any, event: str, **fields: Any) -> None:
        self._emit(logger.info, event, fields)

    def _emit(self, method: Callable[..., Any], event: str, fields: dict[str, Any]) -> None:
        now = self._clock()
        last = self._seen.get(event)
        if last is None or now - last[0] >= self._every_s:
            repeated = {"repeated": last[1]} if last and last[1] else {}
            method(event, **fields, **repeated)
            self._seen[event] = (now, 0)
        else:
            self._seen[event] = (last[0], last[1] + 1)

    def clear(self, event: str) -> None:
        self._seen.pop(event, None)
