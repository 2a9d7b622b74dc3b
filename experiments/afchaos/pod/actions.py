"""Pod actions for graceful shutdown: open long streams, then delete exactly the pods serving them."""

from __future__ import annotations

import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal, safety
from experiments.afchaos.k8s import Api, namespace
from experiments.afchaos.pod.longstreams import LongStreams
from experiments.afchaos.service.probes import service_url

__all__ = ["start_long_streams", "terminate_pods_serving_long_streams"]

_current: dict[str, LongStreams] = {}


def start_long_streams(count: int = 6, tokens: int = 1000, timeout: float = 120.0, url: str | None = None,
                       api_key_env: str = "AGENTFLOW_API_KEY", configuration: Configuration = None,
                       secrets: Secrets = None) -> dict[str, Any]:
    """Open `count` long native-chat streams through the service in the background; returns the pods serving
    them once every stream has its response headers."""
    streams = LongStreams(service_url(configuration, url), api_key_env, count, tokens, timeout)
    streams.start()
    _current["streams"] = streams
    pods = streams.wait_served(15.0)
    if not pods:
        raise ActivityFailed("no long stream was served (no pod header): "
                             f"{[s.to_dict() for s in streams.streams]}")
    return {"streams": count, "pods": pods}


def terminate_pods_serving_long_streams(grace_period: int | None = None, max_pods: int = 1, ns: str | None = None,
                                        configuration: Configuration = None,
                                        secrets: Secrets = None) -> dict[str, Any]:
    """Delete (gracefully unless `grace_period` is given) the `max_pods` pods serving the most long streams right
    now (ties by name). One by default: a graceful-shutdown test takes pods out as a rollout or an eviction does,
    not the whole Deployment at once (that is an outage, and it would break the PDB floor by design)."""
    streams = _current.get("streams")
    if streams is None:
        raise ActivityFailed("start_long_streams must run before terminate_pods_serving_long_streams")
    if max_pods < 1:
        raise ActivityFailed(f"max_pods must be at least 1, got {max_pods}")
    pods = pods_to_terminate([s.pod for s in streams.streams if s.pod and s.outcome == "pending"], max_pods)
    if not pods:
        raise ActivityFailed("no long stream is in flight any more: nothing to terminate (the fault would have no "
                             "effect); use longer streams")
    plan = safety.guard("terminate_pods", pods=pods, configuration=configuration, secrets=secrets)
    if plan is not None:
        return plan
    api = Api(secrets)
    ns = namespace(configuration, ns)
    body = {} if grace_period is None else {"gracePeriodSeconds": grace_period}
    try:
        for pod in pods:
            api.delete(f"/api/v1/namespaces/{ns}/pods/{pod}", body)
    finally:
        api.close()
    result = {"terminated": pods, "time": time.time(), "grace_period": grace_period}
    journal.record("terminations", result)
    return result


def pods_to_terminate(serving: list[str], max_pods: int) -> list[str]:
    """The `max_pods` pods named most often in `serving` (one entry per in-flight long stream), ties by name."""
    tally: dict[str, int] = {}
    for pod in serving:
        tally[pod] = tally.get(pod, 0) + 1
    return sorted(sorted(tally), key=lambda p: -tally[p])[:max_pods]


def long_streams() -> LongStreams | None:
    return _current.get("streams")
