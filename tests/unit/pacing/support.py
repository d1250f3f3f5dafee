"""Builders for pacing inputs in tests."""

from __future__ import annotations

from pacing import Mode, PacingInputs, PacingSettings, WindowCounts

PREDICTIVE = PacingSettings(mode=Mode.PREDICTIVE)
ROOMY = 1000


def predictive_inputs(
    *,
    ready: int = 0,
    talking: tuple[float, ...] = (),
    wrapping: tuple[float, ...] = (),
    ringing: tuple[float, ...] = (),
    waiting: int = 0,
    window: WindowCounts | None = None,
    lines_free: int = ROOMY,
    dials_allowed_now: int = ROOMY,
    settings: PacingSettings = PREDICTIVE,
) -> PacingInputs:
    return PacingInputs(
        settings=settings,
        ready_agents=ready,
        talking_s=talking,
        wrapping_s=wrapping,
        ringing_s=ringing,
        waiting_calls=waiting,
        lines_free=lines_free,
        dials_allowed_now=dials_allowed_now,
        window=window or WindowCounts(),
    )
