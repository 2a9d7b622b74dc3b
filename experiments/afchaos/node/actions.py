"""Node actions: cordon with the suite's mark, a PDB-respecting drain, and the rollback that uncordons exactly
what the suite cordoned."""

from __future__ import annotations

import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal, plan, safety
from experiments.afchaos.k8s import SUITE_LABEL, SUITE_NOTE, Api, namespace
from experiments.afchaos.node.drain import drain, eviction_candidates

__all__ = ["cordon_nodes", "drain_nodes_respecting_pdb", "uncordon_suite_nodes"]


def select_nodes(api: Api, name: str | None = None, label_selector: str | None = None,
                 pod_label_selector: str | None = None, pod_namespace: str | None = None,
                 count: int | None = None) -> list[str]:
    """Node names by name, by label selector, or hosting pods of `pod_label_selector` (sorted, at most count)."""
    if name:
        names = [n["metadata"]["name"] for n in api.items("/api/v1/nodes", fieldSelector=f"metadata.name={name}")]
    elif label_selector:
        names = [n["metadata"]["name"] for n in api.items("/api/v1/nodes", labelSelector=label_selector)]
    elif pod_label_selector:
        pods = api.items(f"/api/v1/namespaces/{pod_namespace}/pods", labelSelector=pod_label_selector)
        names = sorted({p["spec"]["nodeName"] for p in pods
                        if p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")})
    else:
        raise ActivityFailed("select nodes by name, label_selector or pod_label_selector "
                             "(refusing to select every node)")
    names = sorted(names)
    return names[:count] if count else names


def cordon(api: Api, names: list[str]) -> list[str]:
    """Cordon `names`; nodes already unschedulable are left alone (and not marked, so never uncordoned by us)."""
    marked = []
    for node in names:
        obj = api.get(f"/api/v1/nodes/{node}")
        if (obj.get("spec") or {}).get("unschedulable"):
            continue
        api.patch(f"/api/v1/nodes/{node}", {
            "metadata": {"labels": {SUITE_LABEL: "true"},
                         "annotations": {SUITE_NOTE: f"cordoned by afsuite at {time.time():.0f}"}},
            "spec": {"unschedulable": True}})
        marked.append(node)
    return marked


def cordon_nodes(name: str | None = None, label_selector: str | None = None, count: int | None = None,
                 configuration: Configuration = None, secrets: Secrets = None) -> list[str] | dict[str, Any]:
    """Cordon the selected nodes and mark them as cordoned by the suite; returns the nodes cordoned (in a dry
    run: what it would have cordoned)."""
    api = Api(secrets)
    try:
        names = select_nodes(api, name=name, label_selector=label_selector, count=count)
        checked = safety.guard("cordon_nodes", nodes=names, api=api, configuration=configuration, secrets=secrets)
        why = f"selected by {'name ' + name if name else 'label ' + str(label_selector)}"
        with plan.intent("cordon_nodes", why):
            marked = cordon(api, names)
        return checked.planned("cordon_nodes", cordoned=marked) if checked.dry_run else marked
    finally:
        api.close()


def drain_nodes_respecting_pdb(
    name: str | None = None, label_selector: str | None = None, pod_label_selector: str | None = None,
    pod_namespace: str | None = None, count: int | None = None, timeout: float = 120, retry_interval: float = 5,
    delete_pods_with_local_storage: bool = False, configuration: Configuration = None, secrets: Secrets = None,
) -> dict[str, Any]:
    """Cordon and drain nodes like `kubectl drain`, retrying PDB denials (429) until `timeout`; returns the
    drain report (evicted pods, every denial, status drained|stuck). Raises ActivityFailed when stuck."""
    api = Api(secrets)
    try:
        nodes = select_nodes(api, name, label_selector, pod_label_selector,
                             namespace(configuration, pod_namespace), count)
        if not nodes:
            raise ActivityFailed("no node matched: nothing to drain (the fault would have no effect)")
        try:
            pods = [p for n in nodes for p in eviction_candidates(api, n, delete_pods_with_local_storage)]
        except ValueError as exc:
            raise ActivityFailed(str(exc)) from None
        checked = safety.guard("drain_nodes", nodes=nodes, pods=pods, api=api, configuration=configuration,
                               secrets=secrets)
        reasons = {n: _node_reason(n, pods, pod_label_selector, label_selector, name) for n in nodes}
        reasons.update({p["metadata"]["name"]: f"runs on node {p['spec'].get('nodeName')}, which is drained"
                        for p in pods})
        with plan.intent("drain_nodes_respecting_pdb", reasons=reasons):
            cordon(api, nodes)
            try:
                report = drain(api, nodes, timeout=timeout, retry_interval=retry_interval,
                               with_local_storage=delete_pods_with_local_storage, dry_run=checked.dry_run)
            except ValueError as exc:
                raise ActivityFailed(str(exc)) from None
    finally:
        api.close()
    result = report.to_dict()
    if checked.dry_run:
        return checked.planned("drain_nodes", drain=result)
    journal.record("drains", result)
    if report.status == "stuck":
        raise ActivityFailed(report.summary())
    return result


def uncordon_suite_nodes(configuration: Configuration = None, secrets: Secrets = None) -> list[str]:
    """Rollback: uncordon every node the suite cordoned (label `afsuite.agentflow.dev/cordoned=true`) and
    remove its mark; nodes cordoned by anyone else are left alone. Returns the nodes uncordoned."""
    api = Api(secrets)
    try:
        names = [n["metadata"]["name"] for n in api.items("/api/v1/nodes", labelSelector=f"{SUITE_LABEL}=true")]
        with plan.intent("uncordon_suite_nodes", f"cordoned by the suite (label {SUITE_LABEL}=true)", restoring=True):
            for node in names:
                api.patch(f"/api/v1/nodes/{node}", {"metadata": {"labels": {SUITE_LABEL: None},
                                                                  "annotations": {SUITE_NOTE: None}},
                                                     "spec": {"unschedulable": None}})
        return names
    finally:
        api.close()


def _node_reason(node: str, pods: list[dict[str, Any]], pod_selector: str | None, label_selector: str | None,
                 name: str | None) -> str:
    here = sorted(p["metadata"]["name"] for p in pods if p["spec"].get("nodeName") == node)
    if pod_selector:
        return f"hosts pod(s) {', '.join(here) or '-'} matching {pod_selector}"
    how = f"name {name}" if name else f"label {label_selector}"
    return f"selected by {how}; pods to evict: {', '.join(here) or 'none'}"
