"""The `limits` key of a campaign file, validated, and turned into dialerd.limits.Limits.

Kept apart from dialerd.config so the campaign model gains one field, not a page of code.
The retry caps (`retry.max_attempts_*`) stay where they are: they decide what the next dial
is; these decide, at the moment of dialling, whether a dial may go out at all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dialerd.limits import Limits, RollingCap, Scope

# A year: longer spans are surely a unit mistake (hours, not days).
MAX_SPAN_H = 24 * 366


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RollingCapSettings(_Strict):
    """At most `calls` attempts in any `per_h` hours, to the number or to the lead."""

    calls: Annotated[int, Field(ge=1, le=1000)]
    per_h: Annotated[float, Field(gt=0, le=MAX_SPAN_H)]
    scope: Literal["number", "lead"]


class LimitSettings(_Strict):
    lifetime_per_lead: Annotated[int | None, Field(ge=1)] = None
    lifetime_per_phone: Annotated[int | None, Field(ge=1)] = None
    rolling: list[RollingCapSettings] = []
    after_conversation_h: Annotated[float | None, Field(gt=0, le=MAX_SPAN_H)] = None
    after_abandoned_h: Annotated[float | None, Field(gt=0, le=MAX_SPAN_H)] = None

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        seen = [(cap.per_h, cap.scope) for cap in self.rolling]
        twice = sorted({f"{h:g} h per {s}" for h, s in seen if seen.count((h, s)) > 1})
        if twice:
            raise ValueError(f"rolling: one cap per span and scope ({', '.join(twice)})")
        return self

    def limits(self) -> Limits:
        return Limits(
            lead_lifetime=self.lifetime_per_lead,
            phone_lifetime=self.lifetime_per_phone,
            rolling=tuple(
                RollingCap(cap.calls, timedelta(hours=cap.per_h), Scope(cap.scope))
                for cap in self.rolling
            ),
            after_conversation=_hours(self.after_conversation_h),
            after_abandoned=_hours(self.after_abandoned_h),
        )


def _hours(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(hours=value)


__all__ = ["LimitSettings", "RollingCapSettings"]
