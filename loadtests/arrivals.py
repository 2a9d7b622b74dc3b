"""Open-loop arrivals: a pure, seeded arrival schedule and a gevent dispatcher that keeps to it.

Schedule (:func:`schedule`): per stage, arrivals are drawn in "operational time" (the integral of the rate,
Lambda) and mapped back to wall-clock offsets by inverting Lambda, so constant, ramping (linear rate) and
Poisson processes share one exact method. Poisson: gaps in Lambda are Exp(1); constant: arrivals at
Lambda = 0, 1, 2, ... When a run is split over ``shares`` load-generator processes, share ``i`` takes the
Poisson process of rate ``rate / shares`` (independent seeds; the superposition of independent Poisson
processes is Poisson with the summed rate) or, for constant arrivals, every ``shares``-th arrival starting at
``i`` (the union is exactly the global constant schedule). The schedule is a lazy generator: a soak run never
materialises its arrivals.

Dispatcher (:class:`Dispatcher`): sleeps until each arrival's scheduled time and starts it in its own
greenlet. Latency is measured from the scheduled time (the stream's ``scheduled`` column), so a slow server
or a busy load generator shows up as latency and dispatch lag instead of silently delaying later arrivals
(coordinated omission). An arrival that finds ``max_concurrency`` streams of this dispatcher already running
is not started and is counted in ``DispatchStats.dropped`` (never queued). The dispatcher stops at the end of
the schedule (the end of the last stage) or when ``should_stop()`` turns true, then waits a bounded time for
the streams in flight and kills the rest.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import gevent
from gevent.pool import Group

from loadtests.profiles import Stage
from loadtests.shapes import Window, timeline


@dataclass(frozen=True, slots=True)
class Arrival:
    """One scheduled stream start: ``offset`` seconds after the run's start, in stage ``stage``."""

    offset: float
    stage: str
    max_concurrency: int


def schedule(stages: tuple[Stage, ...] | list[Stage], *, seed: int, share: int = 0,
             shares: int = 1) -> Iterator[Arrival]:
    """The arrivals of share ``share`` of ``shares`` for an open-loop profile's stages, in time order."""
    if not 0 <= share < shares:
        raise ValueError(f"share: expected 0 <= share < shares ({shares}), got {share}")
    for window in timeline(stages):
        rng = random.Random(f"{seed}/{share}/{window.index}")
        yield from _window_arrivals(window, rng, share, shares)


def _window_arrivals(window: Window, rng: random.Random, share: int, shares: int) -> Iterator[Arrival]:
    stage = window.stage
    duration = window.end - window.start
    start_rate = window.previous_rate if stage.kind == "ramp-down" else (stage.rate or 0.0)
    slope = ((stage.rate or 0.0) - start_rate) / duration
    total = start_rate * duration + slope * duration * duration / 2.0  # Lambda over the whole window
    poisson = stage.arrivals != "constant"
    u = rng.expovariate(1.0 / shares) if poisson else float(share)
    while u < total:
        yield Arrival(window.start + _invert(u, start_rate, slope), stage.name, stage.max_concurrency or 1)
        u += rng.expovariate(1.0 / shares) if poisson else float(shares)


def _invert(u: float, a: float, b: float) -> float:
    """tau >= 0 with a*tau + b*tau^2/2 == u (the rate a + b*tau stays >= 0 over the window)."""
    root = math.sqrt(max(a * a + 2.0 * b * u, 0.0))
    denominator = a + root
    return 2.0 * u / denominator if denominator > 0 else 0.0


@dataclass
class DispatchStats:
    """Counters of one process's dispatcher; the load-generator sampler takes them once per second."""

    scheduled: int = 0
    started: int = 0
    dropped: int = 0
    active: int = 0
    _lags: list[float] = field(default_factory=list)
    _dropped_taken: int = 0

    def record_lag(self, lag: float) -> None:
        """One arrival's dispatch lag: greenlet start - scheduled time (seconds)."""
        self._lags.append(lag)

    def take(self) -> tuple[float | None, int]:
        """``(p99 lag over the lags since the last take, arrivals dropped since the last take)``."""
        lags, self._lags = self._lags, []
        dropped, self._dropped_taken = self.dropped - self._dropped_taken, self.dropped
        if not lags:
            return None, dropped
        lags.sort()
        return lags[min(len(lags) - 1, math.ceil(0.99 * len(lags)) - 1)], dropped


class Dispatcher:
    """Starts each arrival at ``run_start + offset`` in its own greenlet via ``launch(arrival, scheduled)``."""

    def __init__(self, arrivals: Iterable[Arrival], run_start: float,
                 launch: Callable[[Arrival, float], object], stats: DispatchStats | None = None,
                 should_stop: Callable[[], bool] = lambda: False, clock: Callable[[], float] = time.time,
                 poll: float = 0.5) -> None:
        self.arrivals = arrivals
        self.run_start = run_start
        self.launch = launch
        self.stats = stats or DispatchStats()
        self.should_stop = should_stop
        self.clock = clock
        self.poll = poll
        self.group = Group()
        self.in_flight = 0

    def run(self, drain_timeout: float) -> bool:
        """Dispatch the whole schedule, then wait up to ``drain_timeout`` s for streams in flight.

        Returns True when every started stream finished by itself (none had to be killed)."""
        try:
            for arrival in self.arrivals:
                scheduled = self.run_start + arrival.offset
                if not self._sleep_until(scheduled):
                    break
                self.stats.scheduled += 1
                if self.in_flight >= arrival.max_concurrency:
                    self.stats.dropped += 1
                    continue
                self.stats.started += 1
                self.stats.active += 1
                self.in_flight += 1
                self.group.spawn(self._one, arrival, scheduled)
            return self.group.join(timeout=drain_timeout)
        finally:
            self.group.kill(block=True, timeout=5.0)

    def _sleep_until(self, when: float) -> bool:
        """Sleep until ``when`` (checking ``should_stop`` every ``poll`` s); False if told to stop."""
        while True:
            if self.should_stop():
                return False
            delay = when - self.clock()
            if delay <= 0:
                return True
            gevent.sleep(min(delay, self.poll))

    def _one(self, arrival: Arrival, scheduled: float) -> None:
        try:
            self.stats.record_lag(self.clock() - scheduled)
            self.launch(arrival, scheduled)
        finally:
            self.stats.active -= 1
            self.in_flight -= 1
