"""Structured logs: JSON lines on stdout (journald keeps them), phone numbers masked.

Event names are snake_case past tense (`call_ended`); context such as the campaign and
the attempt id is bound by the caller. Any value under a key that holds a number
(`number`, `phone`, `caller`) shows only its country code and last two digits.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PHONE_KEYS = frozenset({"number", "phone", "caller", "callerid", "destination"})
E164 = re.compile(r"\+(\d{1,3})\d{3,11}(\d{2})")


def mask_number(value: str) -> str:
    """`+447700900123` -> `+44*******23`: enough to tell calls apart, not to dial."""
    return E164.sub(lambda m: f"+{m.group(1)}{'*' * 7}{m.group(2)}", value)


def _mask_phone_fields(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if key in PHONE_KEYS and isinstance(value, str):
            event[key] = mask_number(value)
    return event


def configure(level: str = "info", stream: Any = None) -> None:
    """JSON lines to `stream` (stdout, for the daemon; the other commands log to stderr)."""
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(name)s: %(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_phone_fields,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=True,
    )
