"""Load shapes are pure functions of elapsed time: tables of (elapsed -> target), no traffic."""

from __future__ import annotations

import pytest

from loadtests.profiles import Stage, load_profile
from loadtests.shapes import closed_target, open_target, stage_at, timeline, total_duration, window_at

CLOSED = (
    Stage("warm-up", "steady", 10.0, users=4, spawn_rate=1.0),
    Stage("step-up", "step", 20.0, users=16),
    Stage("spike", "spike", 5.0, users=40, spawn_rate=40.0),
    Stage("ramp-down", "ramp-down", 10.0, users=0),
)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (-1.0, ("warm-up", 4, 1.0)),  # before the start: the first stage
        (0.0, ("warm-up", 4, 1.0)),
        (9.99, ("warm-up", 4, 1.0)),
        (10.0, ("step-up", 16, 12.0)),  # a step without spawn_rate: |16 - 4| per second, i.e. within ~1 s
        (29.9, ("step-up", 16, 12.0)),
        (30.0, ("spike", 40, 40.0)),
        (35.0, ("ramp-down", 40, 40.0)),  # linear from the previous level (40) ...
        (37.5, ("ramp-down", 30, 40.0)),
        (40.0, ("ramp-down", 20, 40.0)),
        (44.9, ("ramp-down", 0, 40.0)),  # ... to the stage's users at its end (round(0.4) == 0)
        (45.0, None),  # the run is over: the shape returns None and Locust stops
        (1e6, None),
    ],
)
def test_closed_targets(elapsed, expected):
    assert closed_target(timeline(CLOSED), elapsed) == expected


OPEN = (
    Stage("warm-up", "steady", 10.0, rate=2.0, arrivals="poisson", max_concurrency=10),
    Stage("high", "step", 10.0, rate=8.0, arrivals="constant", max_concurrency=10),
    Stage("down", "ramp-down", 4.0, rate=0.0, arrivals="poisson", max_concurrency=10),
)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [(0.0, ("warm-up", 2.0)), (9.0, ("warm-up", 2.0)), (10.0, ("high", 8.0)), (20.0, ("down", 8.0)),
     (21.0, ("down", 6.0)), (23.0, ("down", 2.0)), (24.0, None)],
)
def test_open_targets(elapsed, expected):
    result = open_target(timeline(OPEN), elapsed)
    if expected is None:
        assert result is None
    else:
        assert result[0] == expected[0] and result[1] == pytest.approx(expected[1])


def test_timeline_lays_stages_end_to_end():
    windows = timeline(CLOSED)
    assert [(w.start, w.end) for w in windows] == [(0, 10), (10, 30), (30, 35), (35, 45)]
    assert [w.previous_users for w in windows] == [0, 4, 16, 40]
    assert total_duration(windows) == 45.0
    assert window_at(windows, 30.0).stage.name == "spike"
    assert stage_at(windows, 46.0) == "ramp-down"  # streams finishing after the end keep the last label


def test_ramp_down_as_first_stage_starts_from_zero():
    windows = timeline((Stage("up", "ramp-down", 10.0, users=10),))
    assert [closed_target(windows, t)[1] for t in (0, 2.5, 5, 9.99)] == [0, 2, 5, 10]


def test_a_shipped_profile_runs_its_stages_and_stops():
    demo = load_profile("demo")
    windows = timeline(demo.stages)
    seen = []
    t = 0.0
    while (target := closed_target(windows, t)) is not None:
        if not seen or seen[-1] != target[0]:
            seen.append(target[0])
        t += 1.0  # Locust ticks once a second
    assert seen == [s.name for s in demo.stages]
    assert t == demo.duration
