"""Shared helpers for the caller-ID pool tests (unit and integration)."""

from __future__ import annotations

from datetime import UTC, datetime

from caller_id_pool import Caps, Classifier, PoolNumber, Profile

NOW = datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)
CLASSIFIER = Classifier()

KYIVSTAR = "+380671234567"
VODAFONE_UA = "+380501234567"
LIFECELL = "+380631234567"
KYIV_LANDLINE = "+380442345678"
MTS = "+79161234567"
MEGAFON = "+79261234567"
BEELINE = "+79031234567"
T2 = "+79521234567"
MOSCOW_LANDLINE = "+74951234567"


def pool_of(*numbers: str, caps: Caps | None = None) -> tuple[PoolNumber, ...]:
    return tuple(CLASSIFIER.pool_number(n, caps=caps or Caps()) for n in numbers)


def destination(number: str) -> Profile:
    return CLASSIFIER.profile(number)
