"""Every way a run can be told to stop takes the Ctrl-C path: SIGINT, SIGTERM and SIGHUP sent to the afsuite
process alone (as CI runners and `timeout` do) raise `Stopped` (a KeyboardInterrupt) in the main thread, so the
same cleanup runs: load stopped, the experiment's rollbacks run, the observer flushed, the run directory
finalised (see README "Safety" for the time bound). Only the first signal interrupts; later ones are noted and
ignored, so the cleanup itself is never cut short (children stopped by a bounded wait, then SIGKILL).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """The run was told to stop by `signal_name`."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


class OrderlyStop:
    """Context manager installing the handlers (main thread only; elsewhere it does nothing)."""

    def __init__(self) -> None:
        self.received: str | None = None
        self.when: float | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.received is not None:
            print(f"afsuite: {name} received while stopping after {self.received}; the stop is already under way "
                  "and bounded (see README, Safety)", file=sys.stderr, flush=True)
            return
        self.received, self.when = name, time.time()
        print(f"afsuite: {name} received: stopping the run in order (load, rollbacks, observer, run directory)",
              file=sys.stderr, flush=True)
        raise Stopped(name)

    def __enter__(self) -> OrderlyStop:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def interrupted(self, phase: str | None = None) -> dict[str, Any] | None:
        """What the manifest records about the stop (None when no signal came)."""
        if self.received is None:
            return None
        return {"signal": self.received, "time": self.when, **({"phase": phase} if phase else {})}
