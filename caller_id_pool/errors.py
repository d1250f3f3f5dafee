"""Every error the ``caller_id_pool`` package raises, under one root.

The branch an error sits on tells the caller what to do::

    CallerIdError
    ├── StoreUnavailable      retryable: Redis refused or lost the connection, timed out, is
    │                         loading or read-only (a fail-over). A `reserve` retried with the
    │                         same attempt id is safe: the store returns the first reservation.
    ├── StoreFailed           fatal: bad credentials, no permission, a script or data error;
    │                         retrying cannot fix it, correct the configuration
    ├── InvalidNumber         a pool number is not a valid E.164 number (configuration)
    └── InvalidTransition     an admin asked for a state change that does not apply
                              (e.g. restore a number that is active)

redis-py's exceptions are translated in `caller_id_pool.redis_store` and never leak upward.
"""

from __future__ import annotations

__all__ = [
    "CallerIdError",
    "InvalidNumber",
    "InvalidTransition",
    "StoreFailed",
    "StoreUnavailable",
]


class CallerIdError(Exception):
    """Root of every error raised by ``caller_id_pool``."""


class StoreUnavailable(CallerIdError):
    """The shared store cannot be reached right now; retry with backoff."""


class StoreFailed(CallerIdError):
    """The shared store refused us for a reason retrying cannot fix."""


class InvalidNumber(CallerIdError):
    """A caller-ID pool number is not a valid E.164 number."""


class InvalidTransition(CallerIdError):
    """The requested state change does not apply to the number's current state."""
