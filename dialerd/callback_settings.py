"""The `callbacks` key of a campaign file: how soon a customer who asked is called back.

Kept apart from dialerd.config so the campaign model gains one field; without the key a
campaign still takes callback requests, with the defaults below (docs/followups.md).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_DEADLINE_S = 600  # "reply 1 and we call you back within 10 minutes"


class CallbackSettings(BaseModel):
    """A callback is dialled as soon as an agent is ready, and counts as met when the
    customer reaches an agent within `deadline_s` of the request."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    enabled: bool = True
    deadline_s: Annotated[int, Field(ge=10, le=86_400)] = DEFAULT_DEADLINE_S


__all__ = ["DEFAULT_DEADLINE_S", "CallbackSettings"]
