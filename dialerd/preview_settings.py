"""A preview campaign's ``preview`` settings (docs/campaigns.md#preview), apart from
dialerd.preview so that dialerd.config can read them without importing the desk."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PreviewSettings"]


class PreviewSettings(BaseModel):
    """How long a lead an agent asked for stays reserved for them (POST /preview/next)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    reserve_s: Annotated[float, Field(ge=5, le=3600)] = 120.0
