"""Load shapes as pure functions of elapsed time (seconds since the run started).

A profile's stages are laid end to end into :class:`Window` s (:func:`timeline`). Closed loop:
:func:`closed_target` gives ``(stage, users, spawn_rate)``; open loop: :func:`open_target` gives
``(stage, rate)`` in arrivals per second. Both return ``None`` once the last stage has ended, which is how a
run stops by itself. Semantics per stage kind:

* ``steady``, ``step``, ``spike``, ``soak``: the stage's level holds for the whole stage. Closed loop moves to
  ``users`` at ``spawn_rate``; without one, fast enough to get there within about one second
  (``max(|users - previous users|, 1)`` per second), which is what a step or a spike means.
* ``ramp-down``: the level moves linearly from the previous stage's level (0 for a first stage) to the
  stage's ``users`` / ``rate`` over the stage; closed loop rounds users to an integer at every tick.

The Locust ``LoadTestShape`` subclass that calls :func:`closed_target` / :func:`open_target` every second
lives in ``locustfile.py`` (importing ``locust`` monkey-patches the importing process with gevent, so this
module stays free of it and can be used by the harness and unit tests).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from loadtests.profiles import Stage


@dataclass(frozen=True)
class Window:
    """One stage placed on the run's time axis: ``start <= elapsed < end``."""

    index: int
    stage: Stage
    start: float
    end: float
    previous_users: int
    previous_rate: float

    def fraction(self, elapsed: float) -> float:
        """How far into the window ``elapsed`` is, clamped to [0, 1]."""
        return min(max((elapsed - self.start) / (self.end - self.start), 0.0), 1.0)


def timeline(stages: tuple[Stage, ...] | list[Stage]) -> tuple[Window, ...]:
    """Stages laid end to end, each knowing the level of the stage before it."""
    windows: list[Window] = []
    start, users, rate = 0.0, 0, 0.0
    for index, stage in enumerate(stages):
        windows.append(Window(index, stage, start, start + stage.duration, users, rate))
        start += stage.duration
        users = stage.users if stage.users is not None else users
        rate = stage.rate if stage.rate is not None else rate
    return tuple(windows)


def total_duration(windows: tuple[Window, ...]) -> float:
    """Seconds from the start of the first stage to the end of the last."""
    return windows[-1].end if windows else 0.0


def window_at(windows: tuple[Window, ...], elapsed: float) -> Window | None:
    """The window containing ``elapsed`` (the first one for negative times); None after the last."""
    if not windows or elapsed >= windows[-1].end:
        return None
    index = bisect_right([w.end for w in windows], max(elapsed, 0.0))
    return windows[index]


def stage_at(windows: tuple[Window, ...], elapsed: float) -> str:
    """Name of the stage at ``elapsed``; the last stage's name after the end (late-finishing streams)."""
    window = window_at(windows, elapsed)
    if window is None:
        return windows[-1].stage.name if windows else ""
    return window.stage.name


def closed_target(windows: tuple[Window, ...], elapsed: float) -> tuple[str, int, float] | None:
    """``(stage, users, spawn_rate)`` for a closed-loop profile at ``elapsed``; None when the run is over."""
    window = window_at(windows, elapsed)
    if window is None:
        return None
    stage = window.stage
    target = stage.users if stage.users is not None else window.previous_users
    step = max(abs(target - window.previous_users), 1)
    if stage.kind == "ramp-down":
        users = round(window.previous_users + (target - window.previous_users) * window.fraction(elapsed))
        return stage.name, users, float(stage.spawn_rate or step)
    return stage.name, target, float(stage.spawn_rate or step)


def open_target(windows: tuple[Window, ...], elapsed: float) -> tuple[str, float] | None:
    """``(stage, arrivals per second)`` for an open-loop profile at ``elapsed``; None when the run is over."""
    window = window_at(windows, elapsed)
    if window is None:
        return None
    return window.stage.name, rate_at(window, elapsed)


def rate_at(window: Window, elapsed: float) -> float:
    """Arrival rate of an open-loop window at ``elapsed`` (linear for ramp-down, else constant)."""
    rate = window.stage.rate or 0.0
    if window.stage.kind == "ramp-down":
        return window.previous_rate + (rate - window.previous_rate) * window.fraction(elapsed)
    return rate
