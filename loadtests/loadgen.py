"""Load-generator self-observation: one ``load/loadgen.parquet`` row per process per second.

A run whose load generator saturated is INVALID (never a pass or a fail); these rows are the evidence.
Each row (schema ``rundir.schemas.LOADGEN_SCHEMA``) holds, for one process and the second that just ended:

* ``cpu_percent``: the process's CPU time over the interval / wall time x 100 (``psutil.Process.cpu_percent``;
  100 = one core). A gevent process is single-threaded, so ~100 means saturated (Locust warns at 90).
* ``active_streams``: streams in flight at the sample (all clients of the process).
* ``users``: Locust users running in the process (on the master: the total reported by the workers).
* ``dispatch_lag_p99``: p99 over the interval of (greenlet start - scheduled time) of open-loop arrivals;
  null when there was no arrival (closed loop: always null, there is no schedule to lag behind).
* ``dropped``: open-loop arrivals in the interval that could not start (``max_concurrency`` reached).

The sampler wakes on a fixed grid (``start + k * interval``), so its own jitter does not accumulate; the
``time`` column is the wake-up time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
import psutil

from loadtests.arrivals import DispatchStats


class Sampler:
    """Calls ``emit_row(row)`` once per ``interval`` with this process's numbers until killed."""

    def __init__(self, worker: str, *, users: Callable[[], int], active: Callable[[], int],
                 dispatch: DispatchStats | None, emit_row: Callable[[dict[str, Any]], None],
                 interval: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.worker = worker
        self.users = users
        self.active = active
        self.dispatch = dispatch
        self.emit_row = emit_row
        self.interval = interval
        self.clock = clock
        self.process = psutil.Process()

    def sample(self) -> dict[str, Any]:
        """One row for the interval since the previous call."""
        lag, dropped = self.dispatch.take() if self.dispatch is not None else (None, 0)
        return {
            "time": self.clock(),
            "worker": self.worker,
            "cpu_percent": float(self.process.cpu_percent(interval=None)),
            "active_streams": int(self.active()),
            "users": int(self.users()),
            "dispatch_lag_p99": lag,
            "dropped": int(dropped),
        }

    def run(self) -> None:
        """Sample forever on a fixed grid (run it in a greenlet; kill the greenlet to stop)."""
        self.process.cpu_percent(interval=None)  # the first call only sets the reference point
        if self.dispatch is not None:
            self.dispatch.take()
        next_wake = self.clock() + self.interval
        while True:
            gevent.sleep(max(next_wake - self.clock(), 0.0))
            next_wake += self.interval
            if next_wake < self.clock():  # fell behind by more than an interval: re-anchor, do not burst
                next_wake = self.clock() + self.interval
            self.emit_row(self.sample())
