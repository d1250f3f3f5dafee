"""Why not dialling: the reasons named for each way a dial round can stop."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dialerd.reasons import Batch, Code, LeadOutlook, RunnerFacts, Stop, reasons
from pacing import Decision, Mode, PacingInputs, PacingSettings, WindowCounts

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PROGRESSIVE = PacingSettings(mode=Mode.PROGRESSIVE)
PREDICTIVE = PacingSettings(mode=Mode.PREDICTIVE)
WINDOW = Code.OUTSIDE_CALLING_WINDOW


def seen(settings: PacingSettings = PROGRESSIVE, **changes: object) -> PacingInputs:
    inputs = PacingInputs(settings=settings, ready_agents=5, lines_free=10, dials_allowed_now=5)
    return replace(inputs, **changes)


def facts(stop: Stop, **changes: object) -> RunnerFacts:
    base = RunnerFacts(
        stop=stop,
        stopping=False,
        decision=Decision(0, "0 dials: pacing's own words"),
        inputs=seen(),
        queue="sales",
        batch=None,
        outlook=None,
    )
    return replace(base, **changes)


def codes(found: RunnerFacts) -> list[Code]:
    return [why.code for why in reasons(found)]


def test_a_round_that_dialled_has_no_reasons() -> None:
    assert reasons(facts(Stop.DIALLED, batch=Batch(claimed=3, dialled=1, blocked=2))) == []


@pytest.mark.parametrize(
    ("stop", "code"),
    [
        (Stop.STARTING, Code.STARTING),
        (Stop.AMI_DOWN, Code.AMI_DOWN),
        (Stop.DATABASE, Code.DATABASE_UNAVAILABLE),
        (Stop.TRUNK_AT_CAP, Code.TRUNK_AT_CAP),
        (Stop.AGENTS_SHARED, Code.AGENTS_SHARED),
    ],
)
def test_rounds_stopped_before_pacing(stop: Stop, code: Code) -> None:
    assert codes(facts(stop)) == [code]


def test_a_stopping_campaign_says_so_whatever_its_last_round() -> None:
    assert codes(facts(Stop.PACING, stopping=True)) == [Code.STOPPING]


def test_no_agent_logged_in() -> None:
    found = reasons(facts(Stop.PACING, inputs=seen(ready_agents=0)))
    assert [w.code for w in found] == [Code.NO_AGENTS]
    assert "queue sales" in found[0].text


def test_agents_all_busy_is_not_no_agents() -> None:
    busy = seen(ready_agents=0, talking_s=(3.0, 9.0))
    assert codes(facts(Stop.PACING, inputs=busy)) == [Code.AGENTS_BUSY]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"lines_free": 0}, Code.LINES_AT_CAP),
        ({"dials_allowed_now": 0}, Code.RATE_AT_CAP),
        ({"ready_agents": 1, "ringing_s": (1.0,) * 10}, Code.LINES_PER_AGENT_AT_CAP),
        ({"ringing_s": (1.0, 2.0)}, Code.PACING_HOLDS),
    ],
)
def test_the_cap_that_bound_is_named(changes: dict[str, object], code: Code) -> None:
    assert codes(facts(Stop.PACING, inputs=seen(**changes))) == [code]


def test_pacing_holds_in_its_own_words() -> None:
    found = reasons(facts(Stop.PACING))
    assert found[0].text == "0 dials: pacing's own words"


def spent(window: WindowCounts, budget_left: float) -> RunnerFacts:
    return facts(
        Stop.PACING,
        inputs=seen(PREDICTIVE, window=window),
        decision=Decision(0, "risk", risk_limit=0.0028, budget_left=budget_left),
    )


def test_predictive_held_with_its_budget_spent() -> None:
    found = reasons(spent(WindowCounts(connected=10, abandoned=20), budget_left=-19.2))
    assert [w.code for w in found] == [Code.ABANDON_BUDGET_SPENT]
    assert "20 of 30 answered calls abandoned" in found[0].text


def test_predictive_held_with_budget_left_is_only_pacing() -> None:
    assert codes(spent(WindowCounts(connected=1000, abandoned=2), 25.6)) == [Code.PACING_HOLDS]
    # a fresh campaign has spent nothing, although its budget is zero
    assert codes(spent(WindowCounts(), 0.0)) == [Code.PACING_HOLDS]


def test_progressive_ignores_the_budget() -> None:
    window = WindowCounts(connected=10, abandoned=20)
    found = facts(Stop.PACING, inputs=seen(window=window, ringing_s=(1.0,)))
    assert codes(found) == [Code.PACING_HOLDS]


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        (Batch(claimed=4, blocked=4), [Code.ALL_DUE_ON_DNC]),
        (Batch(claimed=4, blocked=1, outside_window=3), [Code.DUE_ON_DNC, WINDOW]),
        (Batch(claimed=2, no_caller_id=2, caller_id_reason="all retired"), [Code.NO_CALLER_ID]),
        (Batch(claimed=2, limited=2), [Code.ATTEMPT_LIMITS]),
        (Batch(claimed=3, blocked=1), [Code.DUE_ON_DNC, Code.DATABASE_UNAVAILABLE]),
    ],
)  # fmt: skip
def test_a_batch_with_nothing_dialled_says_what_held_each_phone(
    batch: Batch, expected: list[Code]
) -> None:
    assert codes(facts(Stop.SCREENED, batch=batch)) == expected


def outlook(next_due_at: datetime | None, in_progress: int = 0) -> LeadOutlook:
    return LeadOutlook(next_due_at, in_progress, read_at=NOW)


def test_nothing_due_now_but_later() -> None:
    found = reasons(facts(Stop.NOTHING_DUE, outlook=outlook(NOW + timedelta(hours=1))))
    assert [w.code for w in found] == [Code.NOTHING_DUE_NOW]
    assert "2026-12-02T11:00:00+00:00" in found[0].text


def test_nothing_due_before_the_outlook_is_read_is_not_called_exhausted() -> None:
    assert codes(facts(Stop.NOTHING_DUE)) == [Code.NOTHING_DUE_NOW]


def test_list_exhausted_only_when_nothing_is_scheduled_nor_in_progress() -> None:
    assert codes(facts(Stop.NOTHING_DUE, outlook=outlook(None))) == [Code.LIST_EXHAUSTED]
    in_progress = facts(Stop.NOTHING_DUE, outlook=outlook(None, in_progress=1))
    assert codes(in_progress) == [Code.NOTHING_DUE_NOW]


def test_phones_put_back_for_their_window_explain_why_nothing_is_due() -> None:
    found = reasons(
        facts(
            Stop.NOTHING_DUE,
            batch=Batch(claimed=3, outside_window=3),
            outlook=outlook(NOW + timedelta(days=2)),
        )
    )
    assert [w.code for w in found] == [Code.OUTSIDE_CALLING_WINDOW]
    assert "every due number" in found[0].text
    assert "2026-12-04T10:00:00+00:00" in found[0].text


def test_a_list_ended_by_do_not_call_says_both() -> None:
    found = facts(Stop.NOTHING_DUE, batch=Batch(claimed=3, blocked=3), outlook=outlook(None))
    assert codes(found) == [Code.ALL_DUE_ON_DNC, Code.LIST_EXHAUSTED]


def test_a_batch_that_dialled_is_not_a_reason_later() -> None:
    found = facts(Stop.NOTHING_DUE, batch=Batch(claimed=3, dialled=2, blocked=1), outlook=None)
    assert codes(found) == [Code.NOTHING_DUE_NOW]
