from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialerd.callstats import AGENT_BUCKETS_S, ANSWER_BUCKETS_S, CallStats, Histogram
from dialerd.calltrack import CallState

S = CallState


def test_a_value_on_a_bound_counts_in_that_bucket() -> None:
    histogram = Histogram((1.0, 2.0)).observe(1.0).observe(1.5).observe(7.0)
    assert histogram.cumulative() == [("1.0", 1), ("2.0", 2), ("+Inf", 3)]
    assert histogram.total == 9.5
    assert histogram.count == 3


def test_an_empty_histogram_exposes_every_bucket_at_zero() -> None:
    assert Histogram((0.5, 1.0)).cumulative() == [("0.5", 0), ("1.0", 0), ("+Inf", 0)]


@given(st.lists(st.floats(min_value=0, max_value=1e4), max_size=50))
def test_cumulative_counts_never_fall_and_end_at_the_count(values: list[float]) -> None:
    histogram = Histogram(ANSWER_BUCKETS_S)
    for value in values:
        histogram = histogram.observe(value)
    counts = [count for _, count in histogram.cumulative()]
    assert counts == sorted(counts)
    assert counts[-1] == len(values)
    assert counts[0] == sum(v <= ANSWER_BUCKETS_S[0] for v in values)


def test_an_answer_is_timed_from_the_originate() -> None:
    stats = CallStats()
    stats.changed(S.ORIGINATING, S.ANSWERED, started=100.0, entered=100.0, now=104.0)
    stats.changed(S.ANSWERED, S.CONNECTED, started=100.0, entered=104.0, now=104.5)
    assert stats.to_answer.total == 4.0
    assert stats.to_answer.count == 1
    assert stats.to_agent.total == 0.5
    assert stats.to_agent.count == 1


def test_an_answer_that_came_with_the_agent_is_not_an_agent_wait() -> None:
    stats = CallStats()
    stats.changed(S.ORIGINATING, S.CONNECTED, started=10.0, entered=10.0, now=13.0)
    assert stats.to_answer.count == 1
    assert stats.to_agent.count == 0


def test_adopted_and_resynced_calls_are_not_timed() -> None:
    stats = CallStats()
    stats.changed(S.ORIGINATING, S.ANSWERED, started=0.0, entered=50.0, now=52.0)  # adopted
    stats.changed(S.ORPHANED, S.CONNECTED, started=10.0, entered=40.0, now=41.0)
    stats.changed(S.ORPHANED, S.ANSWERED, started=10.0, entered=40.0, now=41.0)
    assert stats.to_answer.count == 0
    assert stats.to_agent.count == 0


def test_abandoning_and_endings_are_not_agent_waits() -> None:
    stats = CallStats()
    stats.changed(S.ANSWERED, S.ABANDONING, started=1.0, entered=2.0, now=5.0)
    stats.changed(S.ORIGINATING, S.ENDED, started=1.0, entered=1.0, now=9.0)
    assert stats.to_agent == Histogram(AGENT_BUCKETS_S)
    assert stats.to_answer.count == 0


def test_dials_count_per_caller_id_presented() -> None:
    stats = CallStats()
    for number in ("+441", "+442", "+441", None):
        stats.dialled(number)
    assert dict(stats.presented) == {"+441": 2, "+442": 1}
