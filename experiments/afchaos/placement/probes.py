"""Placement probes: required anti-affinity and zone spread as they hold right now."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos.k8s import ZONE_LABEL, Api, namespace

__all__ = ["one_pod_per_node", "pods_span_zones", "zone_spread_within"]


def _placed(api: Api, ns: str, selector: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    nodes = {n["metadata"]["name"]: (n["metadata"].get("labels") or {}).get(ZONE_LABEL, "")
             for n in api.items("/api/v1/nodes")}
    pods = [(p["metadata"]["name"], p["spec"]["nodeName"])
            for p in api.items(f"/api/v1/namespaces/{ns}/pods", labelSelector=selector)
            if p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")]
    return pods, nodes


def one_pod_per_node(label_selector: str = "app.kubernetes.io/name=agentflow", ns: str | None = None,
                     configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """True when no two scheduled, non-terminating workload pods share a node (required anti-affinity holds)."""
    api = Api(secrets)
    try:
        pods, _ = _placed(api, namespace(configuration, ns), label_selector)
    finally:
        api.close()
    shared = {node: n for node, n in Counter(node for _, node in pods).items() if n > 1}
    if shared:
        detail = ", ".join(f"{node}: {', '.join(p for p, nd in pods if nd == node)}" for node in sorted(shared))
        raise ActivityFailed(f"pods share a node: {detail}")
    return True


def zone_counts(label_selector: str = "app.kubernetes.io/name=agentflow", ns: str | None = None,
                configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    api = Api(secrets)
    try:
        pods, nodes = _placed(api, namespace(configuration, ns), label_selector)
    finally:
        api.close()
    counts = Counter(nodes.get(node, "") for _, node in pods)
    for zone in set(nodes.values()):
        counts.setdefault(zone, 0)
    return dict(counts)


def zone_spread_within(max_skew: int = 1, label_selector: str = "app.kubernetes.io/name=agentflow",
                       ns: str | None = None, configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """True when workload pods per zone differ by at most `max_skew` (over every zone that has nodes)."""
    counts = zone_counts(label_selector, ns, configuration, secrets)
    skew = max(counts.values()) - min(counts.values()) if counts else 0
    if skew > max_skew:
        raise ActivityFailed(f"zone skew {skew} > maxSkew {max_skew}: pods per zone {dict(sorted(counts.items()))}")
    return True


def pods_span_zones(min_zones: int = 2, label_selector: str = "app.kubernetes.io/name=agentflow",
                    ns: str | None = None, configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """True when the workload's pods run in at least `min_zones` zones (so one zone's loss is survivable)."""
    counts = zone_counts(label_selector, ns, configuration, secrets)
    used = sorted(z for z, n in counts.items() if n > 0)
    if len(used) < min_zones:
        raise ActivityFailed(f"workload pods run in {len(used)} zone(s) {used}, need at least {min_zones}: "
                             f"pods per zone {dict(sorted(counts.items()))}")
    return True
