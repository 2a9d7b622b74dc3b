"""The shape every sampler of a run shares (the cluster observer, the alert recorder): a tick every `interval`
seconds in a daemon thread until stopped, rows into one crash-safe `PartWriter` per table of `cluster/`, and at
stop the tables flushed and consolidated into `cluster/<table>.parquet`.

A subclass gives its tables (`writers` and their `schemas`) and one tick (`sample_once`); errors of a tick that
are in `survives` are counted in `errors` and sampling goes on (a sampler whose tick records its own errors
survives nothing here). `_last_sample` runs once after the thread stopped, before the flush.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from rundir.parts import PartWriter, consolidate


class Sampler:
    """`start()` samples in a daemon thread until `stop()`; `sample_once()` is one tick (for tests)."""

    thread_name = "sampler"
    survives: tuple[type[Exception], ...] = ()  # errors of one tick that are counted, not raised

    def __init__(self, directory: Path, writers: dict[str, PartWriter], schemas: Mapping[str, Any],
                 interval: float) -> None:
        self.dir = directory
        self.interval = interval
        self._writers = writers
        self._schemas = schemas
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0

    def sample_once(self) -> None:
        raise NotImplementedError

    def _last_sample(self) -> None:
        """Runs once at stop, after the last tick and before the flush (nothing by default)."""

    def _tick(self) -> None:
        try:
            self.sample_once()
        except self.survives:
            self.errors += 1  # the source unreachable for a tick: the gap shows as missing samples

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            self._tick()
            next_tick += self.interval
            self._stop.wait(max(0.0, next_tick - time.monotonic()))

    def stop(self) -> dict[str, int]:
        """Stop sampling, flush, and consolidate every table into `cluster/<table>.parquet`; row counts."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        self._last_sample()
        counts = {}
        for name, writer in self._writers.items():
            writer.flush()
            counts[name] = consolidate(self.dir / name, self.dir / f"{name}.parquet", self._schemas[name])
        return counts
