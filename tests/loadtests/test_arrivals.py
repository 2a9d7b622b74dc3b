"""Open-loop arrivals: the schedule is exact and seeded (no traffic); the dispatcher keeps to it and drops
rather than delays (real gevent timing, a launch function that just takes time)."""

from __future__ import annotations

import itertools
import math
import time

import gevent
import pytest

from loadtests.arrivals import Dispatcher, DispatchStats, schedule
from loadtests.profiles import Stage


def stage(name="s", kind="steady", duration=10.0, rate=10.0, arrivals="poisson", cap=1000) -> Stage:
    return Stage(name, kind, duration, rate=rate, arrivals=arrivals, max_concurrency=cap)


def test_poisson_mean_rate_and_exponential_gaps():
    rate, duration = 50.0, 200.0
    offsets = [a.offset for a in schedule([stage(duration=duration, rate=rate)], seed=11)]
    n = len(offsets)
    expected = rate * duration
    assert abs(n - expected) <= 3 * math.sqrt(expected)  # 3 sigma of a Poisson count (10000 +- 300)
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    mean = sum(gaps) / len(gaps)
    assert mean == pytest.approx(1 / rate, rel=0.03)
    sd = math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps))
    assert sd / mean == pytest.approx(1.0, abs=0.05)  # exponential gaps: coefficient of variation 1
    below_median = sum(g < mean * math.log(2) for g in gaps) / len(gaps)
    assert below_median == pytest.approx(0.5, abs=0.02)
    assert offsets == sorted(offsets) and offsets[0] >= 0 and offsets[-1] < duration


def test_constant_arrivals_are_evenly_spaced():
    offsets = [a.offset for a in schedule([stage(duration=2.0, rate=4.0, arrivals="constant")], seed=1)]
    assert offsets == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75])


def test_shares_split_the_rate_and_constant_shares_interleave_exactly():
    stages = [stage(duration=5.0, rate=10.0, arrivals="constant")]
    whole = [a.offset for a in schedule(stages, seed=3)]
    parts = [[a.offset for a in schedule(stages, seed=3, share=i, shares=3)] for i in range(3)]
    assert sorted(x for part in parts for x in part) == pytest.approx(whole)
    poisson = [stage(duration=300.0, rate=20.0)]
    counts = [sum(1 for _ in schedule(poisson, seed=5, share=i, shares=4)) for i in range(4)]
    for count in counts:
        assert abs(count - 1500) <= 3 * math.sqrt(1500)
    first = [next(iter(schedule(poisson, seed=5, share=i, shares=4))).offset for i in range(4)]
    assert len(set(first)) == 4  # independent streams, not copies
    with pytest.raises(ValueError, match="share"):
        next(iter(schedule(poisson, seed=5, share=4, shares=4)))


def test_ramp_down_follows_the_linear_rate():
    stages = [stage("hold", duration=100.0, rate=8.0, arrivals="constant"),
              stage("down", kind="ramp-down", duration=100.0, rate=0.0, arrivals="constant")]
    arrivals = list(schedule(stages, seed=1))
    down = [a.offset for a in arrivals if a.stage == "down"]
    assert len([a for a in arrivals if a.stage == "hold"]) == 800
    assert len(down) == 400  # integral of 8 -> 0 over 100 s
    first_half = sum(1 for t in down if t < 150.0)
    assert first_half == 300  # 3/4 of the arrivals fall in the first half of a linear ramp to zero
    assert all(100.0 <= t < 200.0 for t in down)


def test_schedule_is_seeded_and_lazy():
    stages = [stage(duration=60.0, rate=5.0)]
    assert list(schedule(stages, seed=9)) == list(schedule(stages, seed=9))
    assert list(schedule(stages, seed=9)) != list(schedule(stages, seed=10))
    huge = schedule([stage(duration=8 * 3600.0, rate=10_000.0)], seed=1)  # 288 million arrivals
    started = time.perf_counter()
    assert next(huge).offset >= 0
    assert time.perf_counter() - started < 0.5


def run_dispatcher(arrivals, launch, **kwargs) -> tuple[Dispatcher, bool]:
    dispatcher = Dispatcher(arrivals, time.time() + 0.05, launch, DispatchStats(), **kwargs)
    finished = gevent.spawn(dispatcher.run, drain_timeout=5.0)
    return dispatcher, finished.get(timeout=30)


def test_dispatcher_starts_each_arrival_at_its_time():
    started: list[tuple[float, float]] = []
    arrivals = list(schedule([stage(duration=1.0, rate=200.0, arrivals="constant")], seed=1))

    def launch(arrival, scheduled):
        started.append((scheduled, time.time()))

    dispatcher, clean = run_dispatcher(arrivals, launch)
    assert clean and len(started) == 200 == dispatcher.stats.started
    lags = sorted(t - s for s, t in started)
    assert lags[0] >= 0  # never early
    assert lags[len(lags) // 2] < 0.02  # median lag (loose: the test host is shared)
    p99, dropped = dispatcher.stats.take()
    assert p99 is not None and p99 >= lags[len(lags) // 2] and dropped == 0


def test_dispatcher_drops_instead_of_queueing_at_max_concurrency():
    arrivals = list(schedule([stage(duration=1.0, rate=20.0, arrivals="constant", cap=3)], seed=1))
    peak = [0]
    active = [0]
    lags: list[float] = []

    def launch(arrival, scheduled):
        lags.append(time.time() - scheduled)
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        gevent.sleep(0.4)
        active[0] -= 1

    dispatcher, clean = run_dispatcher(arrivals, launch)
    stats = dispatcher.stats
    assert clean and stats.scheduled == 20 and peak[0] == 3
    assert stats.dropped > 0 and stats.started + stats.dropped == 20
    assert max(lags) < 0.1  # the ones that started were not delayed waiting for a slot
    assert stats.take()[1] == stats.dropped and stats.take()[1] == 0  # drops are counted once


def test_dispatcher_stops_when_told_and_kills_what_overruns_the_drain():
    arrivals = list(schedule([stage(duration=10.0, rate=10.0, arrivals="constant")], seed=1))
    stop_at = time.time() + 0.5

    def launch(arrival, scheduled):
        gevent.sleep(60)

    dispatcher = Dispatcher(arrivals, time.time(), launch, should_stop=lambda: time.time() > stop_at, poll=0.05)
    clean = gevent.spawn(dispatcher.run, drain_timeout=0.2).get(timeout=10)
    assert not clean  # in-flight launches outlived the drain and were killed
    assert 3 <= dispatcher.stats.started <= 8
    assert len(dispatcher.group) == 0 and dispatcher.stats.active == 0
