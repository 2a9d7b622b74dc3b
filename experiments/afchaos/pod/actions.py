"""Pod actions for graceful shutdown: open long streams, then delete exactly the pods serving them."""

from __future__ import annotations

import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal, plan, safety
from experiments.afchaos.k8s import Api, namespace
from experiments.afchaos.pod.longstreams import LongStreams
from experiments.afchaos.service.probes import service_url

__all__ = ["start_long_streams", "terminate_pods_serving_long_streams"]

_current: dict[str, LongStreams] = {}


def start_long_streams(count: int = 6, tokens: int = 1000, timeout: float = 120.0, url: str | None = None,
                       api_key_env: str = "AGENTFLOW_API_KEY", configuration: Configuration = None,
                       secrets: Secrets = None) -> dict[str, Any]:
    """Open `count` long native-chat streams through the service in the background; returns the pods serving
    them once every stream has its response headers. A dry run sends no traffic: it returns what it would open."""
    if safety.dry_run(configuration=configuration):
        base = service_url(configuration, url)
        plan.add(note=f"would open {count} long stream(s) of {tokens} tokens to {base}; not run: a dry run sends "
                      "no traffic to the service", decision="not run")
        return {"dry_run": True, "would_open": count, "url": base}
    streams = LongStreams(service_url(configuration, url), api_key_env, count, tokens, timeout)
    streams.start()
    _current["streams"] = streams
    pods = streams.wait_served(15.0)
    if not pods:
        raise ActivityFailed("no long stream was served (no pod header): "
                             f"{[s.to_dict() for s in streams.streams]}")
    return {"streams": count, "pods": pods}


def terminate_pods_serving_long_streams(grace_period: int | None = None, max_pods: int = 1, ns: str | None = None,
                                        pod_label_selector: str = "app.kubernetes.io/name=agentflow",
                                        configuration: Configuration = None,
                                        secrets: Secrets = None) -> dict[str, Any]:
    """Delete (gracefully unless `grace_period` is given) the `max_pods` pods serving the most long streams right
    now (ties by name). One by default: a graceful-shutdown test takes pods out as a rollout or an eviction does,
    not the whole Deployment at once (that is an outage, and it would break the PDB floor by design)."""
    if max_pods < 1:
        raise ActivityFailed(f"max_pods must be at least 1, got {max_pods}")
    ns = namespace(configuration, ns)
    if safety.dry_run(configuration=configuration):
        return _planned_termination(ns, max_pods, pod_label_selector, secrets)
    streams = _current.get("streams")
    if streams is None:
        raise ActivityFailed("start_long_streams must run before terminate_pods_serving_long_streams")
    pods = pods_to_terminate([s.pod for s in streams.streams if s.pod and s.outcome == "pending"], max_pods)
    if not pods:
        raise ActivityFailed("no long stream is in flight any more: nothing to terminate (the fault would have no "
                             "effect); use longer streams")
    safety.guard("terminate_pods", pods=pods, configuration=configuration, secrets=secrets)
    api = Api(secrets)
    body = {} if grace_period is None else {"gracePeriodSeconds": grace_period}
    try:
        with plan.intent("terminate_pods_serving_long_streams", "serves the most long streams in flight"):
            for pod in pods:
                api.delete(f"/api/v1/namespaces/{ns}/pods/{pod}", body)
    finally:
        api.close()
    result = {"terminated": pods, "time": time.time(), "grace_period": grace_period}
    journal.record("terminations", result)
    return result


def _planned_termination(ns: str, max_pods: int, selector: str, secrets: Secrets) -> dict[str, Any]:
    """Dry run: which pod(s) serve the long streams is known only with live streams, so the plan names every
    candidate (the workload's pods) and how many of them would be deleted."""
    api = Api(secrets)
    try:
        candidates = sorted(p["metadata"]["name"] for p in api.items(f"/api/v1/namespaces/{ns}/pods",
                                                                     labelSelector=selector)
                            if not p["metadata"].get("deletionTimestamp"))
    finally:
        api.close()
    plan.add(note=f"would delete {max_pods} of these pod(s): the one(s) serving the most long streams at that "
                  f"moment: {', '.join(candidates) or 'none'}; not sent: which one is known only under traffic",
             decision="not run", candidates=candidates)
    return {"dry_run": True, "would_delete": max_pods, "candidates": candidates}


def pods_to_terminate(serving: list[str], max_pods: int) -> list[str]:
    """The `max_pods` pods named most often in `serving` (one entry per in-flight long stream), ties by name."""
    tally: dict[str, int] = {}
    for pod in serving:
        tally[pod] = tally.get(pod, 0) + 1
    return sorted(sorted(tally), key=lambda p: -tally[p])[:max_pods]


def long_streams() -> LongStreams | None:
    return _current.get("streams")
