"""A seeded discrete-event simulation of a campaign, calling the production pacing code.

`run_shift(scenario, policy, seed)` plays one shift: agents, dials with random outcomes and
ring times, lognormal talk times, wrap-up, and the safe-harbour grace after which an
answered call with no agent is abandoned. Policies: `pacing.sim.policies` (ours and the
oracle) and `pacing.sim.baselines` (progressive, fixed ratio, VICIdial's adaptive modes).
"""

from pacing.sim.scenario import Scenario, ShiftResult
from pacing.sim.world import run_shift

__all__ = ["Scenario", "ShiftResult", "run_shift"]
