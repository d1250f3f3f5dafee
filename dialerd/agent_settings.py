"""A campaign's ``agents`` settings (docs/campaigns.md#agents): blended agents' share kept
for inbound calls. Apart from dialerd.pacer so that dialerd.config can read them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AgentSettings"]


class AgentSettings(BaseModel):
    """How many of the queue's agents the campaign leaves to inbound callers."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # share of the staffed (logged in, unpaused) agents kept for inbound calls; agents
    # already on inbound calls count towards it
    inbound_reserve: Annotated[float, Field(ge=0, le=1)] = 0.0
