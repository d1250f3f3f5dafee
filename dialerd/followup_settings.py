"""The `followups` key of a campaign file: which follow-up events to write, where to POST them.

Kept apart from dialerd.config so the campaign model gains one field. The secret signs every
webhook (HMAC-SHA256 over the body, docs/followups.md); like every secret it is given inline,
in a file or in an environment variable, never logged.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from dialerd.followups import FollowupKind, FollowupRules, MissedCallMode
from dialerd.secret_source import SecretSource

URL_PATTERN = r"^https?://[^\s/@]+(/\S*)?$"
# The kinds an outcome can produce today; the others are written by later features.
OutcomeKind = Literal["missed_call", "dropped_call", "channel_switch"]
MissedOutcome = Literal["no_answer", "busy", "congestion", "machine", "failed"]
_ALL_OUTCOME_KINDS: tuple[OutcomeKind, ...] = ("missed_call", "dropped_call", "channel_switch")
_DEFAULT_MISSED: tuple[MissedOutcome, ...] = ("no_answer", "busy")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DeliverySettings(_Strict):
    """How hard to try: tries are spaced `backoff_s`, doubled each time up to `max_backoff_s`,
    each ±50 % at random so that a gateway coming back is not hit by every node at once."""

    max_tries: Annotated[int, Field(ge=1, le=100)] = 10
    backoff_s: Annotated[float, Field(ge=0.1, le=3600)] = 30.0
    max_backoff_s: Annotated[float, Field(ge=0.1, le=86_400)] = 3600.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 10.0

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max_backoff_s < self.backoff_s:
            raise ValueError("max_backoff_s must not be below backoff_s")
        return self


def _url(url: str) -> str:
    if re.fullmatch(URL_PATTERN, url) is None:
        raise ValueError(
            f"{url!r} is not a webhook URL: write http:// or https://, the host and the path,"
            " e.g. https://gateway.example/dialerd (no user:password@: the secret signs)"
        )
    return url


# The schema keeps the pattern, so an editor flags a bad URL too.
Url = Annotated[
    str, AfterValidator(_url), WithJsonSchema({"type": "string", "pattern": URL_PATTERN})
]


class KindUrls(_Strict):
    missed_call: Url | None = None
    dropped_call: Url | None = None
    channel_switch: Url | None = None
    call_connected: Url | None = None  # screen_pop.webhook's events


class FollowupSettings(SecretSource):
    """Where and how this campaign's follow-up events are sent (docs/followups.md)."""

    url: Url
    kinds: Annotated[list[OutcomeKind], Field(min_length=1)] = Field(
        default_factory=lambda: list(_ALL_OUTCOME_KINDS)
    )
    urls: KindUrls = Field(
        default_factory=KindUrls,
        description="a URL of its own for a kind; the others go to url",
    )
    missed_call_mode: Literal["each_attempt", "last_attempt"] = "each_attempt"
    missed_call_outcomes: Annotated[list[MissedOutcome], Field(min_length=1)] = Field(
        default_factory=lambda: list(_DEFAULT_MISSED)
    )
    delivery: DeliverySettings = DeliverySettings()

    @model_validator(mode="after")
    def _checked(self) -> Self:
        given = [s for s in (self.secret, self.secret_file, self.secret_env) if s is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of secret, secret_file, secret_env: it signs them")
        if len(set(self.kinds)) != len(self.kinds):
            raise ValueError("kinds must not name a kind twice")
        return self

    def rules(self) -> FollowupRules:
        return FollowupRules(
            kinds=frozenset(FollowupKind(kind) for kind in self.kinds),
            missed_call_mode=MissedCallMode(self.missed_call_mode),
            missed_call_outcomes=frozenset(self.missed_call_outcomes),
        )

    def url_for(self, kind: str) -> str:
        """The URL events of ``kind`` go to: its own in `urls`, else `url`."""
        own: str | None = getattr(self.urls, kind, None)
        return own or self.url

    def signing_key(self) -> bytes:
        return (self.reveal() or "").encode()


__all__ = ["DeliverySettings", "FollowupSettings"]
