"""Pod probes: did the long streams in flight at pod termination survive it?"""

from __future__ import annotations

from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal
from experiments.afchaos.pod.actions import long_streams

__all__ = ["long_streams_completed"]


def long_streams_completed(timeout: float = 120.0, configuration: Configuration = None,
                           secrets: Secrets = None) -> dict[str, Any]:
    """Wait (bounded) for the long streams to end; True only if every one ended with `[DONE]`. Raises
    ActivityFailed naming each cut stream, its pod and its outcome."""
    streams = long_streams()
    if streams is None:
        return {"streams": 0, "note": "no long streams were started in this experiment"}
    streams.join(timeout)
    results = [s.to_dict() for s in streams.streams]
    journal.record("long_streams", {"streams": results})
    cut = [s for s in results if s["outcome"] != "ok"]
    if cut:
        detail = "; ".join(f"stream {s['index']} on {s['pod']}: {s['outcome']} after {s['events']} events"
                           for s in cut)
        raise ActivityFailed(f"{len(cut)} of {len(results)} in-flight streams did not complete: {detail}")
    return {"streams": len(results), "completed": len(results)}
