"""The discrete-event world: an event heap, agents, dials, a queue with a grace period.

Random draws come from seeded streams, one per dial, one per connected call and one for
inbound callers, each drawing the same count of numbers per item, so every policy meets
the same leads, the same conversations and the same callers in the same order (common
random numbers: differences between policies are not luck).

Blended agents (`Scenario.inbound_per_hour`): inbound callers arrive as a Poisson stream
and are served by the same agents, before any waiting outbound call; they wait as long as
it takes (their waiting is the inbound queue's business, not an abandon). Pacing sees each
agent on an inbound call in `PacingInputs.inbound` and learns their talk times from
`InboundEnded`.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Callable

from pacing.arrivals import InboundConnected
from pacing.blended import InboundEnded
from pacing.engine import CallAbandoned, CallEnded, DialEnded
from pacing.inputs import Mode, PacingInputs, PacingSettings
from pacing.ledger import WindowCounts
from pacing.sim.scenario import Policy, Scenario, ShiftResult, Slice

DIAL_END, TALK_END, WRAP_END, GIVE_UP, TICK, CALLER, INBOUND_END = range(7)
UNCAPPED = 1_000_000
INBOUND_QUEUE = "inbound"  # the queue name pacing learns the inbound talk times under
SLICE_S = 900.0

Progress = Callable[[float], None]


def settings_for(scenario: Scenario, mode: Mode = Mode.PREDICTIVE) -> PacingSettings:
    """What a PBX admin would configure; the talk-time prior stays at its default."""
    return PacingSettings(
        mode=mode,
        abandon_target=scenario.abandon_target,
        grace_s=scenario.grace_s,
        wrapup_s=scenario.wrapup_s,
    )


def run_shift(
    scenario: Scenario, policy: Policy, seed: int, progress: Progress | None = None
) -> ShiftResult:
    return Simulation(scenario, policy, seed, progress).run()


class Simulation:
    def __init__(
        self, scenario: Scenario, policy: Policy, seed: int, progress: Progress | None = None
    ) -> None:
        self.sc = scenario
        self.policy = policy
        self.progress = progress
        self.settings = settings_for(scenario)
        # seeded on purpose: a reproducible simulation, not cryptography
        self.dial_rng = random.Random(f"{seed}-dials")  # noqa: S311
        self.talk_rng = random.Random(f"{seed}-talks")  # noqa: S311
        self.inbound_rng = random.Random(f"{seed}-inbound")  # noqa: S311
        self.on_inbound: dict[int, float] = {}  # agent -> inbound call connected at
        self.callers: deque[float] = deque()  # waiting inbound callers: their talk times
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.now = 0.0
        self.end = scenario.shift_s
        self.ready: deque[int] = deque(range(scenario.agents))
        self.talking: dict[int, float] = {}  # agent -> connected at
        self.wrapping: dict[int, float] = {}  # agent -> wrap-up started at
        self.free_at = [0.0] * scenario.agents
        self.talk_of = [0.0] * scenario.agents
        self.ringing: dict[int, float] = {}  # dial -> originated at
        self.outcome: dict[int, tuple[bool, float]] = {}  # dial -> (answered, ring seconds)
        self.waiting: deque[int] = deque()
        self.waiting_ids: set[int] = set()
        self.dials = self.connected = self.abandoned = 0
        self.busy_s = 0.0
        self.slices = [0.0] * (int(self.end // SLICE_S) + 1)
        self.slice_calls = [[0, 0] for _ in self.slices]

    # ---- the loop -----------------------------------------------------------------

    def run(self) -> ShiftResult:
        handlers = (
            self.dial_end,
            self.talk_end,
            self.wrap_end,
            self.give_up,
            self.tick,
            self.caller,
            self.inbound_end,
        )
        self.push(0.0, TICK, 0)
        if self.sc.inbound_per_hour > 0:
            self.push(self.next_caller_at(), CALLER, 0)
        while self.heap:
            self.now, _, kind, ref = heapq.heappop(self.heap)
            handlers[kind](ref)
        return self.result()

    def push(self, at: float, kind: int, ref: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, ref))

    def tick(self, count: int) -> None:
        if self.now >= self.end:
            return
        truth = self.truth() if self.policy.wants_truth else ()
        n = self.policy.decide(self.inputs(), self.now, truth)
        for _ in range(max(0, n)):
            self.originate()
        self.push(self.now + self.policy.tick_s, TICK, count + 1)
        if self.progress is not None and count % 600 == 0:
            self.progress(self.now / self.end)

    def inputs(self) -> PacingInputs:
        now = self.now
        return PacingInputs(
            settings=self.settings,
            ready_agents=len(self.ready),
            talking_s=tuple([now - t for t in self.talking.values()]),
            inbound=tuple([(INBOUND_QUEUE, now - t) for t in self.on_inbound.values()]),
            inbound_waiting=len(self.callers),
            wrapping_s=tuple([now - t for t in self.wrapping.values()]),
            ringing_s=tuple([now - t for t in self.ringing.values()]),
            waiting_calls=len(self.waiting_ids),
            lines_free=UNCAPPED,
            dials_allowed_now=UNCAPPED,
            window=WindowCounts(self.connected, self.abandoned),
        )

    def truth(self) -> tuple[float, ...]:
        now, free_at = self.now, self.free_at
        busy = [*self.talking, *self.on_inbound, *self.wrapping]
        return tuple([free_at[a] - now for a in busy])

    # ---- dials --------------------------------------------------------------------

    def originate(self) -> None:
        sc, rng = self.sc, self.dial_rng
        answer_draw, kind_draw, time_draw = rng.random(), rng.random(), rng.random()
        answered = answer_draw < sc.answer_rate
        if answered:
            low, high = sc.pickup_s
        elif kind_draw < sc.fail_share:
            low, high = sc.fail_s
        else:
            low, high = sc.no_answer_s
        ring_s = low + (high - low) * time_draw
        self.dials += 1
        dial = self.dials
        self.ringing[dial] = self.now
        self.outcome[dial] = (answered, ring_s)
        self.push(self.now + ring_s, DIAL_END, dial)

    def dial_end(self, dial: int) -> None:
        del self.ringing[dial]
        answered, ring_s = self.outcome.pop(dial)
        self.policy.observe(DialEnded(ring_s, answered))
        if not answered:
            return
        if self.ready:
            self.connect(self.ready.popleft())
        else:
            self.waiting.append(dial)
            self.waiting_ids.add(dial)
            self.push(self.now + self.sc.grace_s, GIVE_UP, dial)

    def give_up(self, call: int) -> None:
        if call in self.waiting_ids:
            self.waiting_ids.discard(call)
            self.policy.observe(CallAbandoned())
            self.abandoned += 1
            self.count_answer(abandoned=True)

    # ---- agents -------------------------------------------------------------------

    def connect(self, agent: int) -> None:
        sc = self.sc
        talk_s = self.talk_rng.lognormvariate(sc.talk_mu, sc.talk_sigma)
        self.connected += 1
        self.count_answer(abandoned=False)
        self.talking[agent] = self.now
        self.talk_of[agent] = talk_s
        self.free_at[agent] = self.now + talk_s + sc.wrapup_s
        self.add_busy(self.now, self.free_at[agent])
        self.push(self.now + talk_s, TALK_END, agent)

    def talk_end(self, agent: int) -> None:
        del self.talking[agent]
        self.policy.observe(CallEnded(self.talk_of[agent]))
        self.wrapping[agent] = self.now
        self.push(self.now + self.sc.wrapup_s, WRAP_END, agent)

    def wrap_end(self, agent: int) -> None:
        del self.wrapping[agent]
        if self.callers:  # inbound callers first
            self.connect_inbound(agent, self.callers.popleft())
            return
        while self.waiting:
            call = self.waiting.popleft()
            if call in self.waiting_ids:
                self.waiting_ids.discard(call)
                self.connect(agent)
                return
        self.ready.append(agent)

    # ---- inbound callers (blended agents) ---------------------------------------------

    def next_caller_at(self) -> float:
        return self.now + self.inbound_rng.expovariate(self.sc.inbound_per_hour / 3600.0)

    def caller(self, _: int) -> None:
        """An inbound caller: drawn on arrival (its talk time too), so that every policy
        meets the same callers."""
        if self.now >= self.end:
            return
        talk_s = self.inbound_rng.lognormvariate(self.sc.inbound_mu, self.sc.talk_sigma)
        self.push(self.next_caller_at(), CALLER, 0)
        if self.ready:
            self.connect_inbound(self.ready.popleft(), talk_s)
        else:
            self.callers.append(talk_s)

    def connect_inbound(self, agent: int, talk_s: float) -> None:
        sc = self.sc
        self.policy.observe(InboundConnected(self.now))
        self.on_inbound[agent] = self.now
        self.talk_of[agent] = talk_s
        self.free_at[agent] = self.now + talk_s + sc.wrapup_s
        self.add_busy(self.now, self.free_at[agent])
        self.push(self.now + talk_s, INBOUND_END, agent)

    def inbound_end(self, agent: int) -> None:
        del self.on_inbound[agent]
        self.policy.observe(InboundEnded(INBOUND_QUEUE, self.talk_of[agent]))
        self.wrapping[agent] = self.now
        self.push(self.now + self.sc.wrapup_s, WRAP_END, agent)

    # ---- accounting ---------------------------------------------------------------

    def count_answer(self, abandoned: bool) -> None:
        index = min(int(self.now // SLICE_S), len(self.slices) - 1)
        self.slice_calls[index][1 if abandoned else 0] += 1

    def add_busy(self, start: float, stop: float) -> None:
        stop = min(stop, self.end)
        while start < stop:
            index = int(start // SLICE_S)
            upto = min(stop, (index + 1) * SLICE_S)
            self.slices[index] += upto - start
            self.busy_s += upto - start
            start = upto

    def result(self) -> ShiftResult:
        timeline = []
        for i, busy in enumerate(self.slices):
            length = min(SLICE_S, self.end - i * SLICE_S)
            if length <= 0:
                break
            connected, abandoned = self.slice_calls[i]
            rate = abandoned / (connected + abandoned) if connected + abandoned else 0.0
            timeline.append(Slice(i * SLICE_S + length, busy / (length * self.sc.agents), rate))
        agent_s = self.sc.agents * self.end
        return ShiftResult(
            self.busy_s, agent_s, self.connected, self.abandoned, self.dials, tuple(timeline)
        )
