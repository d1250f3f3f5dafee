"""The dialers to beat, in the same simulator.

- `Progressive`: our production progressive mode (`dial_ratio` calls per ready agent);
  ratio 1 is the classic 1:1 that never abandons.
- `FixedLevel`: VICIdial's RATIO method: keep `round(level x agents)` lines up (ringing,
  waiting and talking calls), checked every 2.5 s.
- `Vicidial`: ADAPT_HARD_LIMIT / ADAPT_AVERAGE / ADAPT_TAPERED from bin/AST_VDadapt.pl:
  every 15 s `level *= 1 + (avg ready - avg waiting + dl_diff_target) / avg agents`
  (the averages over the last minute; the adjustment scaled by the intensity setting as
  in the Perl), clamped to [1, max level]; then the drop brakes: more than 50 % dropped
  in the last minute (over 20 calls) halves the level, and once more than 50 calls were
  placed today and drops / answers since midnight exceed the drop limit, HARD_LIMIT sets
  the level to 1, AVERAGE halves it and TAPERED scales it by the hours left until 21:00
  (as the Perl computes it). The dial loop keeps `round(level x agents)` lines up.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

from pacing.engine import Observation, progressive
from pacing.inputs import PacingInputs, PacingSettings

DIAL_LOOP_S = 2.5
MINUTE_SAMPLES = 24  # one minute of 2.5-second samples


class Progressive:
    wants_truth = False
    tick_s = 1.0

    def __init__(self, ratio: float = 1.0) -> None:
        self.ratio = ratio
        self.name = "progressive" if ratio == 1.0 else f"ratio {ratio:g}"
        self._settings: tuple[PacingSettings, PacingSettings] | None = None  # (given, ours)

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int:
        if self._settings is None or self._settings[0] is not inputs.settings:
            self._settings = (inputs.settings, replace(inputs.settings, dial_ratio=self.ratio))
        return progressive(replace(inputs, settings=self._settings[1])).dials

    def observe(self, observation: Observation) -> None:
        pass


def lines_short(inputs: PacingInputs, level: float) -> int:
    """Dials VICIdial's loop places: the lines up short of round(level x agents)."""
    lines_up = inputs.in_flight + len(inputs.talking_s)
    return max(0, round(level * inputs.staffed_agents) - lines_up)


class FixedLevel:
    wants_truth = False
    tick_s = DIAL_LOOP_S

    def __init__(self, level: float) -> None:
        self.level = level
        self.name = f"level {level:g}"

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int:
        return lines_short(inputs, self.level)

    def observe(self, observation: Observation) -> None:
        pass


@dataclass(frozen=True, slots=True)
class VicidialSettings:
    method: str = "ADAPT_HARD_LIMIT"  # or ADAPT_AVERAGE, ADAPT_TAPERED
    dropped_percentage: float = 3.0
    maximum_level: float = 3.0
    intensity: float = 0.0  # -40 .. 40
    dl_diff_target: float = 0.0  # -1 aims at one agent waiting, +1 at one call waiting
    latest_server_time: int = 2100  # HHMM, for TAPERED
    start_hour: float = 9.0

    def label(self) -> str:
        short = self.method.removeprefix("ADAPT_").lower()
        return (
            f"{short} drop{self.dropped_percentage:g} max{self.maximum_level:g}"
            f" int{self.intensity:g} diff{self.dl_diff_target:g}"
        )


class Vicidial:
    wants_truth = False
    tick_s = DIAL_LOOP_S

    def __init__(self, settings: VicidialSettings, name: str = "") -> None:
        self.s = settings
        self.name = name or settings.label()
        self.level = 1.0
        self.samples: deque[tuple[int, int, int]] = deque(maxlen=MINUTE_SAMPLES)
        self.ticks = 0
        self.dials_today = 0
        self.answers: deque[tuple[int, int]] = deque(maxlen=MINUTE_SAMPLES)  # (answered, dropped)

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int:
        self.samples.append((inputs.ready_agents, inputs.waiting_calls, inputs.staffed_agents))
        self.answers.append((inputs.window.answered, inputs.window.abandoned))
        self.ticks += 1
        if self.ticks % 6 == 0:  # every 15 s
            self.level = self.adapted(inputs, now)
        dials = lines_short(inputs, self.level)
        self.dials_today += dials
        return dials

    def adapted(self, inputs: PacingInputs, now: float) -> float:
        level = self.level * (1.0 + self.differential() / 100.0)
        level = max(1.0, min(level, self.s.maximum_level))
        level = self.braked(level, inputs, now)
        return max(1.0, level)

    def differential(self) -> float:
        """The Perl's intensity-adjusted percentage change."""
        n = len(self.samples)
        agents = sum(s[2] for s in self.samples) / n
        if agents <= 0:
            return 0.0
        ready = sum(s[0] for s in self.samples) / n
        waiting = sum(s[1] for s in self.samples) / n
        pct = (ready - waiting + self.s.dl_diff_target) / agents * 100.0
        intensity = self.s.intensity / 100.0
        return pct * abs(intensity - 1.0) if pct < 0 else pct * (intensity + 1.0)

    def braked(self, level: float, inputs: PacingInputs, now: float) -> float:
        answered_then, dropped_then = self.answers[0]
        minute_calls = inputs.window.answered - answered_then
        minute_drops = inputs.window.abandoned - dropped_then
        if minute_calls > 20 and minute_drops / minute_calls > 0.5:
            level /= 2.0
        today = inputs.window
        if self.dials_today > 50 and today.rate * 100.0 > self.s.dropped_percentage:
            level = self.drop_brake(level, now)
        return level

    def drop_brake(self, level: float, now: float) -> float:
        if self.s.method == "ADAPT_HARD_LIMIT":
            return 1.0
        if self.s.method == "ADAPT_AVERAGE":
            return level / 2.0
        hours_left = self.s.latest_server_time - hhmm(self.s.start_hour + now / 3600.0)
        if hours_left < 0:
            return 1.0
        return level * min(1.0, hours_left / 1000.0)

    def observe(self, observation: Observation) -> None:
        pass


def hhmm(hour: float) -> int:
    """Clock time as the Perl's `$hour$min` number (13:05 -> 1305)."""
    whole = math.floor(hour)
    return whole * 100 + math.floor((hour - whole) * 60)
