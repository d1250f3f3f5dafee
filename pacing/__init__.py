"""The pure pacing core: how many calls to place now, and why.

No I/O, no clock, no global randomness: time and observations are arguments, so the
simulator runs exactly the code production runs.
"""

from pacing.core import Decision, PacingInputs, decide

__all__ = ["Decision", "PacingInputs", "decide"]
