"""The outer loop: how much risk a dial may carry.

Two parts, both multiplying the aim. The aim is a little under the target, so that
chance cannot push a whole window over it: a reserve of `RESERVE_CALLS` abandons, as a
share of the target between `AIM_SHARE` (a young window, where a few calls move the
rate a lot) and `AIM_SHARE_MOST` (a large one, where the reserve alone would round to
nothing). The controller holds a window's rate within a few calls of its aim, so a
reserve counted in calls rather than as a share spends most of a large window's budget
while a small one keeps its margin.

- the calibration: abandons that happened per abandon expected had every dial placed
  carried exactly the limit's risk, i.e. the abandon rate a limit really yields. Most
  dials carry less than the limit, while each also delays the calls answered after it
  (a cost its own risk leaves out), so the ratio differs by campaign (about 0.6 to 1.3
  in simulation). Dividing the aim by it gives the limit that yields the aim. It lives
  in `PacingState` and starts at 1.
- the budget: `aim * answered - abandoned` over the compliance window, in calls. The
  limit moves by a factor e for every `scale` calls saved or overspent: an integral
  controller whose state is the stored counts themselves, so a restart or a second node
  reading the same counts picks up where it was. More budget spent never raises it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pacing.ledger import WindowCounts

AIM_SHARE = 0.92  # of the target, at least...
AIM_SHARE_MOST = 0.98  # ...and at most
RESERVE_CALLS = 3.0  # abandons kept in reserve below the target, within those shares
MIN_SCALE = 3.0  # calls
SCALE_SHARE = 0.05  # of the abandons the aim allows so far
LOWEST, HIGHEST = 0.1, 3.0  # the budget factor stays within these
PRIOR_ABANDONS = 4.0  # the calibration starts at 1 with this weight
MAX_PREDICTED = 400.0  # beyond this, old evidence is halved
CALIBRATION_RANGE = (0.25, 4.0)


@dataclass(frozen=True, slots=True)
class Calibration:
    predicted: float = PRIOR_ABANDONS  # abandons expected at the limit from the dials placed
    realized: float = PRIOR_ABANDONS  # abandons that happened

    @property
    def factor(self) -> float:
        low, high = CALIBRATION_RANGE
        return min(high, max(low, self.realized / self.predicted))

    def placed(self, expected_abandons: float) -> Calibration:
        return self._faded(self.predicted + expected_abandons, self.realized)

    def abandoned(self) -> Calibration:
        return self._faded(self.predicted, self.realized + 1.0)

    @staticmethod
    def _faded(predicted: float, realized: float) -> Calibration:
        if predicted > MAX_PREDICTED:
            return Calibration(predicted / 2, realized / 2)
        return Calibration(predicted, realized)


def risk_limit(
    window: WindowCounts, target: float, calibration: Calibration = Calibration()
) -> tuple[float, float]:
    """(limit on one dial's modelled abandon risk, abandons the window can still absorb)."""
    aim = aim_of(window, target)
    budget = aim * window.answered - window.abandoned
    scale = max(MIN_SCALE, SCALE_SHARE * aim * window.answered)
    factor = math.exp(max(-50.0, min(50.0, budget / scale)))
    return aim * min(HIGHEST, max(LOWEST, factor)) / calibration.factor, budget


def aim_of(window: WindowCounts, target: float) -> float:
    """The abandon rate to aim at: the target less a reserve of RESERVE_CALLS abandons,
    between AIM_SHARE and AIM_SHARE_MOST of it. Counted on connected calls, so that an
    abandon (which adds an answer) never raises the aim."""
    allowed = target * window.connected
    share = 1.0 - RESERVE_CALLS / allowed if allowed > 0 else AIM_SHARE
    return target * min(AIM_SHARE_MOST, max(AIM_SHARE, share))
