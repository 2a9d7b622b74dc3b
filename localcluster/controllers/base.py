"""The controller loop shared by every controller: level-triggered reconcile on a thread of its own.

A controller declares the store kinds it cares about; the manager's single store subscription marks it
dirty on every change of those kinds, and its thread calls `reconcile()` (a full pass over the current
store state) when dirty and at least every `interval` wall seconds (the periodic tick). Periodic work that
is due by the injectable clock (HPA sync, node health, PodGC) is checked on every pass, so tests drive it
by advancing a `FakeClock` and calling `wake()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Clock", "Controller", "FakeClock"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class FakeClock:
    """A manual clock for tests: `clock()` returns the current value, `advance(s)` moves it."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now


class Controller:
    """Base class: subclasses set `name` and `kinds` (storage keys such as 'v1/pods') and implement
    `reconcile()`. start()/stop() run the loop on a daemon thread."""

    name = "controller"
    kinds: tuple[str, ...] = ()

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0  # reconcile passes done (for tests and diagnostics)
        self.errors = 0

    def reconcile(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def notify(self, key: str) -> None:
        """Called by the manager's subscription for a change of `key`; must not block."""
        if key in self.kinds:
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> None:
        """One reconcile pass on the caller's thread (errors logged, counted, not raised)."""
        try:
            self.reconcile()
        except Exception:
            self.errors += 1
            log.exception("%s: reconcile failed", self.name)
        self.passes += 1

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            if self._stopping.is_set():
                return
            self._wake.clear()
            self.run_once()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name=f"ctrl-{self.name}", daemon=True)
            self._thread.start()
            self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
