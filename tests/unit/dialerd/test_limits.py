"""The pure attempt-limit decision: examples, and properties checked against a direct reading.

`allowed_at` below restates every limit the simplest way (count the attempts in the span,
compare the gaps), independently of how `check` computes its earliest instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, note, settings
from hypothesis import strategies as st

from dialerd.limits import AttemptHistory, Limits, RollingCap, Scope, check

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
H = timedelta(hours=1)
US = timedelta(microseconds=1)
FLORIDA = RollingCap(3, 24 * H, Scope.NUMBER)
REG_F = RollingCap(7, 168 * H, Scope.LEAD)


def allowed_at(limits: Limits, history: AttemptHistory, at: datetime) -> bool:
    """Every limit, read directly: may a dial start at `at` given `history`?"""
    for cap, made in (
        (limits.lead_lifetime, history.lead_attempts),
        (limits.phone_lifetime, history.phone_attempts),
    ):
        if cap is not None and made >= cap:
            return False
    for rolling in limits.rolling:
        times = history.number_times if rolling.scope is Scope.NUMBER else history.lead_times
        if sum(1 for t in times if t > at - rolling.span) >= rolling.calls:
            return False
    for gap, since in (
        (limits.after_conversation, history.last_conversation_end),
        (limits.after_abandoned, history.last_abandoned_end),
    ):
        if gap is not None and since is not None and at < since + gap:
            return False
    return True


# ---- examples ---------------------------------------------------------------------------


def test_no_limits_allow_everything() -> None:
    busy = AttemptHistory(1, 50, 50, (T0,) * 50, (T0,) * 50, T0, T0)
    assert check(Limits(), busy, T0) is None


def test_florida_three_per_day_waits_for_the_oldest_of_the_three_to_leave_the_day() -> None:
    calls = (T0 - 20 * H, T0 - 5 * H, T0 - H)
    history = AttemptHistory(1, number_times=calls)
    deferral = check(Limits(rolling=(FLORIDA,)), history, T0)
    assert deferral is not None
    assert deferral.until == T0 + 4 * H
    assert deferral.reason == "3 calls per 24 h to the number reached"
    assert check(Limits(rolling=(FLORIDA,)), history, T0 + 4 * H) is None


def test_reg_f_the_later_of_seven_in_seven_days_and_a_week_after_a_conversation() -> None:
    week = tuple(T0 - timedelta(days=d) for d in range(1, 8))  # one call a day for 7 days
    limits = Limits(rolling=(REG_F,), after_conversation=168 * H)
    history = AttemptHistory(1, lead_times=week, last_conversation_end=T0 - 2 * H)
    deferral = check(limits, history, T0)
    assert deferral is not None
    assert deferral.until == T0 + 166 * H  # the conversation binds: the cap frees a day later
    assert deferral.reason == "168 h after a conversation with the lead"


def test_an_abandoned_call_locks_the_number_for_72_hours() -> None:
    limits = Limits(after_abandoned=72 * H)
    history = AttemptHistory(1, last_abandoned_end=T0 - 70 * H)
    assert check(limits, history, T0) == check(limits, history, T0 + H)
    assert check(limits, history, T0 + 2 * H) is None


def test_a_lifetime_cap_reached_never_allows() -> None:
    limits = Limits(phone_lifetime=4, lead_lifetime=10)
    deferral = check(limits, AttemptHistory(1, phone_attempts=4, lead_attempts=4), T0)
    assert deferral is not None
    assert deferral.until is None
    assert deferral.reason == "4 attempts on this phone: lifetime cap 4 reached"
    assert check(limits, AttemptHistory(1, phone_attempts=3, lead_attempts=9), T0) is None


def test_only_number_scoped_limits_are_rechecked_under_the_numbers_lock() -> None:
    limits = Limits(10, 5, (FLORIDA, REG_F), 168 * H, 72 * H)
    assert limits.number_scoped() == Limits(rolling=(FLORIDA,), after_abandoned=72 * H)
    assert limits.lookback(Scope.LEAD) == (168 * H, 7)
    assert Limits().lookback(Scope.NUMBER) == (timedelta(0), 0)


# ---- properties -------------------------------------------------------------------------

offsets = st.timedeltas(min_value=-400 * H, max_value=H)  # a little clock skew included
spans = st.integers(min_value=1, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))
caps = st.builds(RollingCap, st.integers(1, 8), spans, st.sampled_from(Scope))
limit_sets = st.builds(
    Limits,
    st.none() | st.integers(1, 12),
    st.none() | st.integers(1, 12),
    st.lists(caps, max_size=4).map(tuple),
    st.none() | spans,
    st.none() | spans,
)


@st.composite
def histories(draw: st.DrawFn) -> AttemptHistory:
    def moments(size: int) -> tuple[datetime, ...]:
        return tuple(T0 + o for o in draw(st.lists(offsets, max_size=size)))

    return AttemptHistory(
        phone_id=1,
        phone_attempts=draw(st.integers(0, 12)),
        lead_attempts=draw(st.integers(0, 12)),
        number_times=moments(12),
        lead_times=moments(12),
        last_conversation_end=draw(st.none() | offsets.map(lambda o: T0 + o)),
        last_abandoned_end=draw(st.none() | offsets.map(lambda o: T0 + o)),
    )


@given(limit_sets, histories())
@settings(max_examples=500)
def test_the_instant_returned_is_the_earliest_every_limit_allows(
    limits: Limits, history: AttemptHistory
) -> None:
    deferral = check(limits, history, T0)
    if deferral is None:
        assert allowed_at(limits, history, T0)
        return
    note(f"deferral: {deferral}")
    assert not allowed_at(limits, history, T0), "deferred although every limit allows it"
    if deferral.until is None:  # a lifetime cap: no instant will ever do
        assert not allowed_at(limits, history, T0 + 10_000 * H)
        return
    assert deferral.until > T0
    assert allowed_at(limits, history, deferral.until)
    assert not allowed_at(limits, history, deferral.until - US)


@dataclass
class World:
    """One lead's phone dialled by the rules, and other leads dialling the same number."""

    limits: Limits
    ours: list[datetime] = field(default_factory=list)
    others: list[datetime] = field(default_factory=list)
    conversation_ends: list[datetime] = field(default_factory=list)
    abandoned_ends: list[datetime] = field(default_factory=list)

    def history(self, *, ours: bool) -> AttemptHistory:
        """As PostgreSQL holds it once the earlier calls' outcomes are written."""

        def last(ends: list[datetime]) -> datetime | None:
            return max(ends, default=None)

        mine = tuple(self.ours)
        return AttemptHistory(
            phone_id=1,
            phone_attempts=len(mine) if ours else 0,
            lead_attempts=len(mine) if ours else 0,
            number_times=(*mine, *self.others),
            lead_times=mine if ours else (),
            last_conversation_end=last(self.conversation_ends) if ours else None,
            last_abandoned_end=last(self.abandoned_ends),
        )

    def dial(self, want: datetime, *, ours: bool, outcome: str) -> datetime | None:
        """Dial at `want`, or at the instant the limits name; None when never."""
        limits = self.limits if ours else self.limits.number_scoped()
        deferral = check(limits, self.history(ours=ours), want)
        if deferral is not None and deferral.until is None:
            return None
        at = want if deferral is None else deferral.until
        assert at is not None
        (self.ours if ours else self.others).append(at)
        if outcome == "connected" and ours:
            self.conversation_ends.append(at + timedelta(seconds=90))
        if outcome == "abandoned":
            self.abandoned_ends.append(at + timedelta(seconds=3))
        return at


dials = st.lists(
    st.tuples(
        st.integers(0, 6 * 3600).map(lambda s: timedelta(seconds=s)),
        st.booleans(),
        st.sampled_from(["busy", "busy", "no_answer", "connected", "abandoned"]),
    ),
    min_size=1,
    max_size=40,
)


@given(limit_sets, dials)
@settings(max_examples=300)
def test_dialling_whenever_allowed_never_exceeds_a_limit(
    limits: Limits, plan: list[tuple[timedelta, bool, str]]
) -> None:
    world, clock = World(limits), T0
    for pause, ours, outcome in plan:
        at = world.dial(clock + pause, ours=ours, outcome=outcome)
        clock = max(clock, at or clock)
    everyone = sorted([*world.ours, *world.others])
    for cap in limits.rolling:
        times = everyone if cap.scope is Scope.NUMBER else sorted(world.ours)
        for s in times:  # every span ending at an attempt holds at most `calls`
            assert sum(1 for t in times if s - cap.span < t <= s) <= cap.calls, (cap, s)
    for lifetime in (limits.lead_lifetime, limits.phone_lifetime):
        assert lifetime is None or len(world.ours) <= lifetime
    for gap, ends, starts in (
        (limits.after_conversation, world.conversation_ends, world.ours),
        (limits.after_abandoned, world.abandoned_ends, everyone),
    ):
        if gap is not None:
            assert not [(e, s) for e in ends for s in starts if e < s < e + gap]
