"""Trunk caps and queue agents shared by the campaigns of one daemon (dialerd.sharing)."""

from __future__ import annotations

from dataclasses import dataclass

from dialerd.config import Campaign, DialSettings, TrunkSettings
from dialerd.sharing import WANT_TTL_S, Sharing

TRUNKS = {"carrier": TrunkSettings(max_channels=4, max_cps=10)}


@dataclass
class Runner:
    """A hand-written stand-in for a campaign runner: what Sharing reads of one."""

    campaign: Campaign
    live_calls: int = 0
    wants_agents: bool = True


def runner(name: str, priority: int = 0, weight: float = 1.0, **dial: str) -> Runner:
    settings = DialSettings(trunk="PJSIP/{number}@carrier", **dial)
    campaign = Campaign(
        name=name, queue="sales", region="GB", dial=settings, priority=priority, weight=weight
    )
    return Runner(campaign)


def sharing(*runners: Runner) -> Sharing:
    shared = Sharing(TRUNKS)
    for member in runners:
        shared.join(member)
    return shared


def test_the_higher_priority_is_served_first_and_the_cap_is_never_exceeded() -> None:
    high = runner("high", priority=1, trunk_name="carrier")
    low = runner("low", trunk_name="carrier")
    shared = sharing(high, low)
    assert shared.take(low, 5, now=0.0) == 4  # high has not asked yet
    shared.settle(low, 4, placed=4)
    low.live_calls = 4
    assert shared.take(high, 5, now=0.1) == 0  # every channel is in use
    low.live_calls = 1  # three calls ended: high's want is known now
    assert shared.take(low, 5, now=0.2) == 0
    assert shared.take(high, 5, now=0.3) == 3


def test_grants_are_reserved_until_settled_and_unplaced_ones_come_back() -> None:
    a, b = runner("a", trunk_name="carrier"), runner("b", trunk_name="carrier")
    shared = sharing(a, b)
    assert shared.take(a, 4, now=0.0) == 4
    assert shared.take(b, 4, now=0.0) == 0  # a's four are granted, not yet live calls
    shared.settle(a, 4, placed=1)
    a.live_calls = 1
    assert shared.take(b, 4, now=0.1) == 3
    assert shared.take(b, 0, now=0.2) == 0


def test_equal_priorities_split_what_is_free_by_weight() -> None:
    a = runner("a", weight=2.0, trunk_name="carrier")
    b = runner("b", trunk_name="carrier")
    shared = sharing(a, b)
    a.live_calls = 4
    assert shared.take(a, 6, now=0.0) == 0  # unmet: 6
    a.live_calls = 1
    assert shared.take(b, 6, now=0.1) == 1  # three free: 2 for a, 1 for b


def test_the_calls_per_second_cap_is_shared_over_a_sliding_second() -> None:
    shared = Sharing({"carrier": TrunkSettings(max_channels=100, max_cps=3)})
    a, b = runner("a", trunk_name="carrier"), runner("b", trunk_name="carrier")
    shared.join(a)
    shared.join(b)
    assert shared.take(a, 2, now=0.0) == 2
    shared.settle(a, 2, placed=2)
    assert shared.take(b, 5, now=0.5) == 1
    shared.settle(b, 1, placed=1)
    assert shared.take(b, 5, now=1.0) == 2  # a's two left the window; b's one is in it


def test_a_stale_want_stops_holding_a_share() -> None:
    high = runner("high", priority=1, trunk_name="carrier")
    low = runner("low", trunk_name="carrier")
    shared = sharing(high, low)
    assert shared.take(high, 5, now=0.0) == 4  # one dial unmet
    shared.settle(high, 4, placed=4)
    high.live_calls = 2  # two of them ended already
    assert shared.take(low, 4, now=0.1) == 1  # high's unmet dial comes first
    shared.settle(low, 1, placed=1)
    high.live_calls, low.live_calls = 0, 0
    assert shared.take(low, 4, now=WANT_TTL_S + 0.5) == 4


def test_a_campaign_that_used_less_than_it_got_no_longer_holds_a_share() -> None:
    high = runner("high", priority=1, trunk_name="carrier")
    low = runner("low", trunk_name="carrier")
    shared = sharing(high, low)
    high.live_calls = 3
    assert shared.take(high, 5, now=0.0) == 1  # unmet: 4
    shared.settle(high, 1, placed=0)  # nothing was due after all
    assert shared.take(low, 5, now=0.1) == 1


def test_campaigns_without_a_trunk_are_not_held() -> None:
    free = runner("free")
    assert sharing(free).take(free, 50, now=0.0) == 50


def test_a_queue_s_ready_agents_are_split_not_counted_twice() -> None:
    a, b, c = runner("a", weight=3.0), runner("b"), runner("c", priority=-1)
    shared = sharing(a, b, c)
    assert [shared.ready_agents(m, 8) for m in (a, b, c)] == [6, 2, 0]
    b.wants_agents = False  # b found nothing due: a takes them all, b may look for work
    assert [shared.ready_agents(m, 8) for m in (a, b, c)] == [8, 1, 0]
    alone = runner("alone")
    assert sharing(alone).ready_agents(alone, 8) == 8
