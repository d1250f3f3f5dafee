"""The pure pacing core: how many calls to place now, and why.

No I/O, no clock, no global randomness: time and observations are arguments, so the
simulator (`pacing.sim`) runs exactly the code production runs. See docs/pacing.md.
"""

from pacing.arrivals import InboundConnected
from pacing.blended import InboundEnded
from pacing.engine import (
    CallAbandoned,
    CallEnded,
    DialEnded,
    Observation,
    PacingState,
    decide,
    observe,
)
from pacing.inputs import Decision, Mode, PacingInputs, PacingSettings
from pacing.ledger import AbandonLedger, ComplianceWindow, WindowCounts, hour_of

__all__ = [
    "AbandonLedger",
    "CallAbandoned",
    "CallEnded",
    "ComplianceWindow",
    "Decision",
    "DialEnded",
    "InboundConnected",
    "InboundEnded",
    "Mode",
    "Observation",
    "PacingInputs",
    "PacingSettings",
    "PacingState",
    "WindowCounts",
    "decide",
    "hour_of",
    "observe",
]
