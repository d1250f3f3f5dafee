"""One line a second per campaign, for people watching `dialerd run --progress`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialerd.domain import Outcome

if TYPE_CHECKING:
    from dialerd.campaign import CampaignRunner


def progress_line(runner: CampaignRunner, now: float) -> str:
    counts = runner.outcomes
    answered = counts[Outcome.CONNECTED] + counts[Outcome.ABANDONED]
    abandoned_pct = 100.0 * counts[Outcome.ABANDONED] / answered if answered else 0.0
    board = runner.board
    return (
        f"[{runner.campaign.name}] dials {runner.dials} | ended {sum(counts.values())}"
        f" | answered {answered} | connected {counts[Outcome.CONNECTED]}"
        f" | abandoned {counts[Outcome.ABANDONED]} ({abandoned_pct:.1f}%)"
        f" | busy/no-answer {counts[Outcome.BUSY]}/{counts[Outcome.NO_ANSWER]}"
        f" | agents ready {board.ready_count(now)} busy {board.busy_count()}"
        f" | lines {runner.live_calls} | {runner.last_decision.reason}"
    )
