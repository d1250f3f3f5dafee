"""Configuration: the main `dialerd.yaml` and one YAML file per campaign.

Models are strict (no "yes" read as true, no number read as text) and forbid unknown keys.
Every problem is collected and reported at once as `file:line:col: field: message`.
Secrets are never in the models as plain text: they are read from a file or the
environment (or inline, for labs) into SecretStr at load time.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from dialerd.agent_settings import AgentSettings
from dialerd.amd_settings import AmdSettings
from dialerd.errors import ConfigError, ConfigProblem
from dialerd.followup_settings import FollowupSettings
from dialerd.inbound_settings import CallbackSettings, InboundSettings
from dialerd.limit_settings import LimitSettings
from dialerd.logs import hide_secrets
from dialerd.preview_settings import PreviewSettings
from dialerd.screen_pop import ScreenPopSettings
from dialerd.secret_source import SecretSource
from dialerd.window_settings import CallingWindowSettings
from dialerd.yamlfile import Source, read_merged, validation_problems

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"

M = TypeVar("M", bound="BaseModel")


def _e164(number: str) -> str:
    try:
        valid = re.fullmatch(E164_PATTERN, number) is not None and phonenumbers.is_valid_number(
            phonenumbers.parse(number, None)
        )
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise ValueError(
            f"{number!r} is not a valid phone number: write it in E.164 form, "
            "+ country code and number, e.g. +442079460000"
        )
    return number


# The schema keeps the pattern, so an editor flags the obvious cases; phonenumbers does the rest.
E164 = Annotated[
    str, AfterValidator(_e164), WithJsonSchema({"type": "string", "pattern": E164_PATTERN})
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AmiServer(SecretSource):
    name: Annotated[str, Field(pattern=NAME_PATTERN)] = "asterisk"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 5038
    username: str
    ping_interval_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    ping_timeout_s: Annotated[float, Field(gt=0, le=60)] = Field(
        3.0,
        description="no answer to Ping within this long: the connection is dead (a stalled"
        " link is noticed within ping_interval_s + ping_timeout_s) and dialing pauses",
    )


class DatabaseSettings(SecretSource):
    """`url` without the password; the password comes from secret/secret_file/secret_env."""

    url: Annotated[str, Field(pattern=r"^postgresql(\+asyncpg)?://")]


class RedisSettings(SecretSource):
    url: Annotated[str, Field(pattern=r"^rediss?://")]


class ReconcileSettings(Strict):
    """Attempts that ended `unknown` get their true outcome from Asterisk's CDRs, which
    cdr_pgsql writes into `asterisk_cdr` (docs/operations.md): in the dialer's database, or
    in `cdr_database` when Asterisk writes them elsewhere."""

    enabled: bool = True
    interval_s: Annotated[float, Field(ge=1, le=3600)] = 30.0
    lookback_h: Annotated[float, Field(gt=0, le=24 * 31)] = 24.0
    cdr_database: DatabaseSettings | None = None


class MetricsSettings(Strict):
    """Where /metrics, /status, /healthz and /readyz are served, and who may read them.

    With a `token`, every page but /healthz wants `Authorization: Bearer <token>`
    (docs/operations.md); loopback is the default address either way.
    """

    listen: str = "127.0.0.1:9311"
    token: SecretSource | None = None


class TrunkSettings(Strict):
    """Caps of one trunk, shared by every campaign of this daemon that names it."""

    max_channels: Annotated[int, Field(ge=1, le=100_000)]
    max_cps: Annotated[int, Field(ge=1, le=10_000)]


class MainConfig(Strict):
    node: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")] = Field(
        default_factory=lambda: socket.gethostname()[:63]
    )
    database: DatabaseSettings
    redis: RedisSettings | None = None
    asterisk: Annotated[list[AmiServer], Field(min_length=1)]
    metrics: MetricsSettings = MetricsSettings()
    campaigns_dir: str = "campaigns"
    state_dir: str = Field(
        "/var/lib/dialerd",
        description="where the outcome journal lives; each daemon needs its own",
    )
    shutdown_grace_s: Annotated[float, Field(ge=0, le=3600)] = 60.0
    trunks: dict[Annotated[str, Field(pattern=NAME_PATTERN)], TrunkSettings] = Field(
        default_factory=dict,
        description="channel and calls-per-second caps per trunk, shared by all campaigns",
    )
    inbound: InboundSettings = InboundSettings()  # customers calling pool numbers back
    reconcile: ReconcileSettings = ReconcileSettings()  # unknown outcomes settled from CDRs


class DialSettings(Strict):
    trunk: str = Field(description="dial string template; {number} is the E.164 number")
    ring_timeout_s: Annotated[float, Field(ge=15, le=120)] = 25.0
    caller_id: E164 | None = None
    caller_name: Annotated[str | None, Field(max_length=40)] = None
    server: str | None = None
    trunk_name: str | None = Field(
        None, description="a trunk of the main config's `trunks`, whose caps this campaign shares"
    )

    @model_validator(mode="after")
    def _trunk_has_number(self) -> Self:
        if "{number}" not in self.trunk:
            raise ValueError(f"trunk {self.trunk!r} must contain {{number}}")
        if re.search(r"[\r\n\0]", self.trunk):
            raise ValueError("trunk must be one line")
        try:
            self.trunk.format(number="+442079460000")
        except (KeyError, IndexError, ValueError) as exc:  # e.g. {numbr} or a lone {
            raise ValueError(
                f"trunk {self.trunk!r}: only {{number}} may stand in braces ({exc!r})"
            ) from None
        if self.caller_name is not None and re.search(r"[\r\n\0]", self.caller_name):
            raise ValueError("caller_name must be one line")
        return self


class SafeHarbour(Strict):
    grace_s: Annotated[float, Field(gt=0, le=2)] = 2.0
    abandon_sound: Annotated[str, Field(pattern=r"^[A-Za-z0-9_/.-]+$")] = "silence/1"


class RetryRule(Strict):
    delay_s: Annotated[float, Field(ge=0)]
    max_attempts: Annotated[int | None, Field(ge=1)] = None
    next_phone: bool = False


class ChannelSwitchSettings(Strict):
    """Stop calling a lead after this many ineffective attempts within the window, and record
    a channel-switch event (table channel_switch_events) for another channel to follow up."""

    after_ineffective: Annotated[int, Field(ge=1, le=1000)]
    within_days: Annotated[int, Field(ge=1, le=3660)]


class RetrySettings(Strict):
    busy: RetryRule = RetryRule(delay_s=600, max_attempts=5)
    no_answer: RetryRule = RetryRule(delay_s=3600, max_attempts=4, next_phone=True)
    congestion: RetryRule = RetryRule(delay_s=300, max_attempts=5)
    failed: RetryRule = RetryRule(delay_s=3600, max_attempts=2, next_phone=True)
    abandoned: RetryRule = RetryRule(delay_s=72 * 3600, max_attempts=2)
    machine: RetryRule = RetryRule(delay_s=4 * 3600, max_attempts=3, next_phone=True)
    cancelled: RetryRule = RetryRule(delay_s=60)
    unknown: RetryRule = RetryRule(delay_s=3600, max_attempts=3)
    max_attempts_per_phone: Annotated[int, Field(ge=1)] = 6
    max_attempts_per_lead: Annotated[int, Field(ge=1)] = 10
    channel_switch: ChannelSwitchSettings | None = None  # None: never switch


class LineSettings(Strict):
    max_lines: Annotated[int, Field(ge=1, le=10_000)] = 30
    dial_ratio: Annotated[float, Field(ge=1.0, le=3.0)] = 1.0
    calls_per_second: Annotated[int, Field(ge=1, le=1000)] = 10


class PoolNumberSettings(Strict):
    """One of the business's own numbers: it must ring back to the business."""

    number: E164
    per_day: Annotated[int, Field(ge=1)] = 100
    per_hour: Annotated[int | None, Field(ge=1)] = None
    per_minute: Annotated[int, Field(ge=1)] = 10
    cooldown_s: Annotated[float, Field(ge=0)] = 0.0
    weight: Annotated[float, Field(gt=0)] = 1.0
    tags: list[str] = []
    operator: str | None = None  # overrides what the prefix table and phonenumbers say
    region: str | None = None


class PrefixSettings(Strict):
    """A prefix-table entry: numbers starting with `prefix` belong to `operator`."""

    prefix: Annotated[str, Field(pattern=r"^\+?[0-9]{2,15}$")]
    operator: Annotated[str, Field(min_length=1)]
    region: str | None = None


Tier = Literal["operator", "area_code", "region", "country", "any"]


class HealthCheckSettings(Strict):
    enabled: bool = True
    interval_s: Annotated[float, Field(ge=10)] = 300.0
    window_h: Annotated[int, Field(ge=1, le=24 * 30)] = 72
    min_attempts: Annotated[int, Field(ge=1)] = 200
    min_answered: Annotated[int, Field(ge=1)] = 50
    significance: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    min_effect: Annotated[float, Field(ge=0, lt=1)] = 0.2
    short_call_s: Annotated[float, Field(ge=0)] = 10.0


class CallerIdSettings(Strict):
    """The campaign's caller-ID pool and its rotation rules (docs/caller-id.md)."""

    numbers: Annotated[list[PoolNumberSettings], Field(min_length=1)]
    avoid_last: Annotated[int, Field(ge=1, le=10)] = 1
    prefer: Annotated[list[Tier], Field(min_length=1)] = ["operator", "area_code", "region", "any"]
    affinity: bool = False
    tags: list[str] = []
    prefixes: list[PrefixSettings] = []
    defer_s: Annotated[float, Field(ge=1, le=3600)] = 30.0
    health: HealthCheckSettings = HealthCheckSettings()

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        numbers = [n.number for n in self.numbers]
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise ValueError(f"numbers listed twice: {', '.join(twice)}")
        if len(set(self.prefer)) != len(self.prefer):
            raise ValueError("prefer must not name a tier twice")
        return self


class PacingConfig(Strict):
    """Predictive pacing (docs/pacing.md); progressive mode uses only lines.dial_ratio."""

    abandon_target: Annotated[float, Field(gt=0, le=0.1)] = 0.03  # share of live answers
    window: Literal["us_30_days", "uk_24_hours"] = "us_30_days"  # the compliance window
    max_lines_per_agent: Annotated[float, Field(gt=0, le=20)] = 10.0
    expected_talk_s: Annotated[float, Field(gt=0, le=3600)] = 120.0  # until calls are seen


class Campaign(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    enabled: bool = True
    priority: int = Field(0, description="higher first when campaigns share a trunk or a queue")
    weight: Annotated[float, Field(gt=0, le=1000)] = Field(
        1.0, description="share among campaigns of equal priority on a trunk or a queue"
    )
    mode: Literal["preview", "progressive", "predictive"] = "progressive"
    pacing: PacingConfig = PacingConfig()
    queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    wrapup_s: Annotated[float, Field(ge=0, le=600)] = 0.0
    region: str
    dial: DialSettings
    safe_harbour: SafeHarbour = SafeHarbour()
    lines: LineSettings = LineSettings()
    retry: RetrySettings = RetrySettings()
    caller_ids: CallerIdSettings | None = None
    lease_s: Annotated[float, Field(ge=10, le=3600)] = 120.0
    calling_window: CallingWindowSettings | None = None  # None: no restriction by hour
    limits: LimitSettings = LimitSettings()  # checked at dial time (dialerd.limits)
    followups: FollowupSettings | None = None  # None: no follow-up events (docs/followups.md)
    callbacks: CallbackSettings = CallbackSettings()  # its customers calling back
    screen_pop: ScreenPopSettings = ScreenPopSettings()  # what the agent's leg is told
    amd: AmdSettings = AmdSettings()  # answering machine detection, off by default (docs/amd.md)
    preview: PreviewSettings | None = None  # mode preview: POST /preview/* (dialerd.preview)
    agents: AgentSettings = AgentSettings()  # blended agents: reserve, inbound queues

    @model_validator(mode="after")
    def _known_region(self) -> Self:
        if self.region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"region {self.region!r} is not an ISO 3166 country code (e.g. GB, UA, US)"
            )
        if self.caller_ids is not None and self.dial.caller_id is not None:
            raise ValueError("give dial.caller_id or a caller_ids pool, not both")
        return self

    @model_validator(mode="after")
    def _inbound_queues_not_its_own(self) -> Self:
        if self.queue in self.agents.inbound_queues:
            raise ValueError(
                f"agents.inbound_queues names the campaign's own queue {self.queue!r}: its"
                " callers who are not the campaign's are counted as inbound already"
            )
        return self

    @model_validator(mode="after")
    def _webhook_has_followups(self) -> Self:
        if self.screen_pop.webhook and self.followups is None:
            raise ValueError("screen_pop.webhook needs followups (its URL and secret) set too")
        return self


def main_overrides(path: Path) -> list[Path]:
    """The `conf.d/*.yaml` files beside `path`, in the order they are laid over it."""
    return sorted((path.parent / "conf.d").glob("*.yaml"))


def load_main_config(path: Path) -> MainConfig:
    """`path` with its `main_overrides` laid over it; from now on its secrets are hidden
    from every log line and every error the command line prints (dialerd.logs)."""
    source = read_merged(path, main_overrides(path))
    config = _validate(MainConfig, source)
    _check_secrets(source, config)
    hide_secrets(revealed_secrets(config))
    return config


def _validate(model: type[M], source: Source) -> M:
    if not isinstance(source.data, dict):
        raise ConfigError([ConfigProblem(str(source.path), 1, 1, "", "expected a mapping of keys")])
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(source, exc)) from exc


def secret_sources(config: MainConfig) -> list[tuple[list[str | int], SecretSource]]:
    """Every secret of the main configuration, with where it is written."""
    sources: list[tuple[list[str | int], SecretSource]] = [(["database"], config.database)]
    sources += [(["asterisk", i], server) for i, server in enumerate(config.asterisk)]
    if config.redis is not None:
        sources.append((["redis"], config.redis))
    if config.metrics.token is not None:
        sources.append((["metrics", "token"], config.metrics.token))
    return sources


def revealed_secrets(config: MainConfig) -> list[str | None]:
    """The secrets' values, for dialerd.logs.hide_secrets (each was read once already)."""
    return [secret.reveal() for _, secret in secret_sources(config)]


def _check_secrets(source: Source, config: MainConfig) -> None:
    problems = _secret_problems(source, secret_sources(config))
    if problems:
        raise ConfigError(problems)


def _secret_problems(
    source: Source, sources: list[tuple[list[str | int], SecretSource]]
) -> list[ConfigProblem]:
    problems = []
    for loc, secret in sources:
        try:
            secret.reveal()
        except (OSError, KeyError, IndexError) as exc:  # only a file or a variable can fail
            key = [*loc, "secret_file" if secret.secret_file is not None else "secret_env"]
            file, line, col = source.where(key)
            where = ".".join(map(str, key))
            problems.append(ConfigProblem(file, line, col, where, f"cannot read secret: {exc}"))
    return problems


def _load_campaign(
    path: Path, overrides: list[Path], trunks: Collection[str] | None = None
) -> Campaign:
    source = read_merged(path, overrides)
    campaign = _validate(Campaign, source)
    if trunks is not None and (unknown := _unknown_trunk(source, campaign, trunks)):
        raise ConfigError([unknown])
    if campaign.followups is not None:
        problems = _secret_problems(source, [(["followups"], campaign.followups)])
        if problems:
            raise ConfigError(problems)
        hide_secrets([campaign.followups.reveal()])  # the webhook signing key
    return campaign


def load_campaigns(directory: Path, trunks: Collection[str] | None = None) -> dict[str, Campaign]:
    """Every `*.yaml` campaign in `directory`, each with its `conf.d/<same name>.yaml` laid
    over it; all problems of all files reported together. With `trunks` (the main config's),
    a `dial.trunk_name` that names none of them is a problem too."""
    campaigns: dict[str, Campaign] = {}
    origin: dict[str, Path] = {}
    problems = _orphan_overrides(directory)
    for path in sorted(directory.glob("*.yaml")):
        override = directory / "conf.d" / path.name
        overrides = [override] if override.is_file() else []
        try:
            campaign = _load_campaign(path, overrides, trunks)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if campaign.name in campaigns:
            problems.append(
                ConfigProblem(
                    str(path),
                    1,
                    1,
                    "name",
                    f"campaign {campaign.name!r} is also defined in {origin[campaign.name]}",
                )
            )
            continue
        campaigns[campaign.name], origin[campaign.name] = campaign, path
    if problems:
        raise ConfigError(problems)
    return campaigns


def _unknown_trunk(
    source: Source, campaign: Campaign, trunks: Collection[str]
) -> ConfigProblem | None:
    name = campaign.dial.trunk_name
    if name is None or name in trunks:
        return None
    file, line, col = source.where(["dial", "trunk_name"])
    known = ", ".join(sorted(trunks)) or "none"
    text = f"trunk {name!r} is not in the main config's trunks (known: {known})"
    return ConfigProblem(file, line, col, "dial.trunk_name", text)


def _orphan_overrides(directory: Path) -> list[ConfigProblem]:
    """An override whose campaign file is gone would wait silently for a new one of that name."""
    return [
        ConfigProblem(
            str(override),
            0,
            0,
            "",
            f"overrides {directory / override.name}, which does not exist: remove the override too",
        )
        for override in sorted((directory / "conf.d").glob("*.yaml"))
        if not (directory / override.name).is_file()
    ]
