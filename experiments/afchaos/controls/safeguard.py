"""Control (chaostoolkit-addons style safeguard): while the experiment runs, check every `interval` seconds the
error rate of the background load's streams over the last `window` seconds; above `limit` (with at least
`min_streams` streams) it records why and interrupts the experiment gracefully, so the rollbacks still run.
Arguments: `limit` (default 0.5), `window` (default 20 s), `interval` (default 2 s), `min_streams` (default 10).

It disarms as soon as interrupting would no longer protect anything: after the method, after a hypothesis that
was not met (the experiment is ending), and before the background load stops (`disarm`, called by the load
control). An interrupt that lands after the experiment has ended stops Chaos Toolkit before it writes the
journal, so a known-bad workload would be reported as "no journal" instead of by its failing probe.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from chaoslib.exit import exit_gracefully
from chaoslib.types import Configuration, Experiment, Journal, Secrets

from experiments.afchaos import journal, safety
from experiments.afchaos.service.probes import recent_outcomes

_state: dict[str, Any] = {}


def breach(counts: dict[str, int], limit: float, min_streams: int) -> float | None:
    """The error rate if it breaches `limit` with enough streams, else None."""
    total = sum(counts.values())
    if total < min_streams:
        return None
    rate = (total - counts.get("ok", 0)) / total
    return rate if rate > limit else None


def _guard(stop: threading.Event, limit: float, window: float, interval: float, min_streams: int) -> None:
    while not stop.wait(interval):
        counts = recent_outcomes(window)
        rate = breach(counts, limit, min_streams)
        if rate is not None:
            journal.record("safeguard", {"time": time.time(), "error_rate": rate, "limit": limit,
                                         "window": window, "outcomes": counts})
            exit_gracefully()
            return


def before_experiment_control(context: Experiment, configuration: Configuration = None, secrets: Secrets = None,
                              limit: float = 0.5, window: float = 20.0, interval: float = 2.0,
                              min_streams: int = 10, **kwargs: Any) -> None:
    if safety.dry_run(configuration=configuration):
        return  # no load in a dry run: nothing to guard
    stop = threading.Event()
    thread = threading.Thread(target=_guard, args=(stop, limit, window, interval, min_streams),
                              name="safeguard", daemon=True)
    _state.update(stop=stop, thread=thread)
    thread.start()


def disarm() -> None:
    """Stop watching (idempotent); returns once the watcher thread is gone."""
    if "stop" in _state:
        _state["stop"].set()
        _state["thread"].join(timeout=5.0)
        _state.clear()


def armed() -> bool:
    return "stop" in _state


def after_method_control(context: Any, state: Any = None, configuration: Configuration = None,
                         secrets: Secrets = None, **kwargs: Any) -> None:
    disarm()


def after_hypothesis_control(context: Any, state: Any = None, configuration: Configuration = None,
                             secrets: Secrets = None, **kwargs: Any) -> None:
    if isinstance(state, dict) and state.get("steady_state_met") is False:
        disarm()


def after_experiment_control(context: Experiment, state: Journal, configuration: Configuration = None,
                             secrets: Secrets = None, **kwargs: Any) -> None:
    disarm()
