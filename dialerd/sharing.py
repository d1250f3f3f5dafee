"""Trunk caps and queue agents shared by the campaigns of one daemon.

Each campaign runner asks here, once per dial round, how many of the dials its pacing
wants it may place (`take`), and gives back what it did not use when the batch is done
(`settle`). A trunk's budget is the tighter of its free channels (calls in progress on
it, plus dials granted and not yet settled) and its calls-per-second cap (dials granted
in the last second); `dialerd.allocation` splits it by priority and weight among the
campaigns on the trunk, using what each one's latest ask left unmet (a want older than
`WANT_TTL_S` is taken as none: that campaign stopped asking). Grants are reserved before the runner
awaits anything, so two runners can never both spend the same free channel.

Campaigns on the same queue share its ready agents the same way (`ready_agents`): each
campaign with work sees only its share, so two such campaigns never both count the same
free agent. A campaign whose last claim found nothing due sees one ready agent (if there
is one) besides: enough for its next claim to find out whether it has work again, without
its reason flapping between "nothing due" and "no agent" round after round; that one agent
may be counted twice for one round when it does find work.

A runner's own cap (lines.max_lines, lines.calls_per_second) is applied by its pacing
first; this only ever lowers what it may place.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from dialerd.allocation import Claim, allocate
from dialerd.config import Campaign, TrunkSettings

WANT_TTL_S = 2.0


class Sharer(Protocol):
    """What the sharing needs of a campaign runner."""

    campaign: Campaign

    @property
    def live_calls(self) -> int: ...

    @property
    def wants_agents(self) -> bool: ...


@dataclass
class _Want:
    dials: int
    at: float


class Sharing:
    def __init__(self, trunks: Mapping[str, TrunkSettings]) -> None:
        self._trunks = trunks
        self._members: dict[str, Sharer] = {}
        self._wants: dict[str, _Want] = {}
        self._reserved: dict[str, int] = {}  # granted, not yet settled
        self._granted_at: dict[str, deque[float]] = {}  # monotonic time of each granted dial

    def join(self, member: Sharer) -> None:
        name = member.campaign.name
        self._members[name] = member
        self._reserved.setdefault(name, 0)
        self._granted_at.setdefault(name, deque())

    def take(self, member: Sharer, wanted: int, now: float) -> int:
        """How many of `wanted` dials `member` may place now; reserved until `settle`."""
        name = member.campaign.name
        self._wants[name] = _Want(wanted, now)
        trunk = self._trunk_of(member)
        if trunk is None or wanted <= 0:
            return max(0, wanted)
        peers = self._on_trunk(member.campaign.dial.trunk_name)
        claims = [self._claim(peer, now) for peer in peers]
        granted = allocate(claims, self._trunk_budget(trunk, peers, now))[name]
        self._reserved[name] += granted
        self._granted_at[name].extend([now] * granted)
        self._wants[name] = _Want(wanted - granted, now)  # what the others must leave it
        return granted

    def settle(self, member: Sharer, granted: int, placed: int) -> None:
        """The batch is done: `placed` calls now count as live calls, the rest is free."""
        name = member.campaign.name
        if name not in self._members or granted <= 0 or self._trunk_of(member) is None:
            return
        self._reserved[name] = max(0, self._reserved[name] - granted)
        if placed < granted and name in self._wants:  # fewer due phones than granted: it
            self._wants[name].dials = 0  # wants no more until its next round says so
        times = self._granted_at[name]
        for _ in range(min(len(times), max(0, granted - placed))):
            times.pop()  # a dial never placed spends no calls-per-second budget

    def ready_agents(self, member: Sharer, ready: int) -> int:
        """`member`'s share of its queue's `ready` agents."""
        queue = member.campaign.queue
        peers = [m for m in self._members.values() if m.campaign.queue == queue]
        if len(peers) <= 1:
            return ready
        if not member.wants_agents:  # enough to find out whether it has work again
            return min(ready, 1)
        claims = [
            Claim(m.campaign.name, ready if m.wants_agents else 0, *_rank(m.campaign))
            for m in peers
        ]
        return allocate(claims, ready).get(member.campaign.name, 0)

    def _trunk_of(self, member: Sharer) -> TrunkSettings | None:
        name = member.campaign.dial.trunk_name
        return self._trunks.get(name) if name is not None else None

    def _on_trunk(self, trunk_name: str | None) -> list[Sharer]:
        return [m for m in self._members.values() if m.campaign.dial.trunk_name == trunk_name]

    def _claim(self, member: Sharer, now: float) -> Claim:
        want = self._wants.get(member.campaign.name)
        dials = want.dials if want is not None and now - want.at <= WANT_TTL_S else 0
        return Claim(member.campaign.name, dials, *_rank(member.campaign))

    def _trunk_budget(self, trunk: TrunkSettings, peers: list[Sharer], now: float) -> int:
        in_use = sum(p.live_calls + self._reserved[p.campaign.name] for p in peers)
        recent = 0
        for peer in peers:
            times = self._granted_at[peer.campaign.name]
            while times and now - times[0] >= 1.0:
                times.popleft()
            recent += len(times)
        return min(trunk.max_channels - in_use, trunk.max_cps - recent)


def _rank(campaign: Campaign) -> tuple[int, float]:
    return campaign.priority, campaign.weight
