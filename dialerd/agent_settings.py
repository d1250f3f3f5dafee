"""A campaign's ``agents`` settings (docs/campaigns.md#agents): blended agents' share kept
for inbound calls, and the inbound queues they also serve. Apart from dialerd.pacer so that
dialerd.config can read them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["AgentSettings"]


QueueName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]


class AgentSettings(BaseModel):
    """How many of the queue's agents the campaign leaves to inbound callers, and which
    other queues they take calls from."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # share of the staffed (logged in, unpaused) agents kept for inbound calls; agents
    # already on inbound calls count towards it
    inbound_reserve: Annotated[float, Field(ge=0, le=1)] = 0.0
    # other Asterisk queues the campaign's agents are members of: pacing forecasts an agent
    # on one of their calls from that queue's own handle times (docs/pacing.md#blended)
    inbound_queues: list[QueueName] = []

    @field_validator("inbound_queues")
    @classmethod
    def _once_each(cls, queues: list[str]) -> list[str]:
        repeated = sorted({q for q in queues if queues.count(q) > 1})
        if repeated:
            raise ValueError(f"inbound_queues names {', '.join(repeated)} more than once")
        return queues
