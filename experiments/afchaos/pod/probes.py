"""Pod probes: did the long streams in flight at pod termination survive it?"""

from __future__ import annotations

import logging

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal
from experiments.afchaos.pod.actions import long_streams

__all__ = ["long_streams_completed"]
logger = logging.getLogger("chaostoolkit")


def long_streams_completed(timeout: float = 120.0, configuration: Configuration = None,
                           secrets: Secrets = None) -> bool:
    """Wait (bounded) for the long streams to end; True only if every one ended with `[DONE]`. Raises
    ActivityFailed naming each cut stream, its pod and its outcome."""
    streams = long_streams()
    if streams is None:
        return True  # no long streams were started yet (before the method): nothing was cut
    streams.join(timeout)
    results = [s.to_dict() for s in streams.streams]
    journal.record("long_streams", {"streams": results})
    cut = [s for s in results if s["outcome"] != "ok"]
    if cut:
        detail = "; ".join(f"stream {s['index']} on {s['pod']}: {s['outcome']} after {s['events']} events"
                           for s in cut)
        raise ActivityFailed(f"{len(cut)} of {len(results)} in-flight streams did not complete: {detail}")
    logger.info("all %s in-flight streams completed", len(results))
    return True
