"""Zone actions. Two different faults, named apart in every result because they test different things:

- `drain_zone`: cordon and drain every node of the zone, respecting PDBs (GKE's zone-failure rehearsal).
- `fail_zone`: the zone's machines are lost (Krkn/AWS FIS style). On the local cluster through its fault API
  (node annotation `localcluster.agentflow.dev/fault=fail`: processes killed, nodes go NotReady, pods are
  replaced after the taint-eviction delay). On a real cluster it is APPROXIMATED by cordoning the zone's nodes
  and deleting the workload's pods there with grace 0; the result says so.
"""

from __future__ import annotations

import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal, plan, safety
from experiments.afchaos.hard import hard_fault
from experiments.afchaos.k8s import LOCAL_FAULT, ZONE_LABEL, Api, namespace, set_local_fault
from experiments.afchaos.node.actions import cordon, drain_nodes_respecting_pdb, select_nodes

__all__ = ["drain_zone", "fail_zone", "recover_zone"]


def _is_local(api: Api, nodes: list[str]) -> bool:
    labels = api.get(f"/api/v1/nodes/{nodes[0]}")["metadata"].get("labels") or {}
    return labels.get("node.kubernetes.io/instance-type") == "localcluster"


def _zone_nodes(api: Api, zone: str) -> list[str]:
    nodes = select_nodes(api, label_selector=f"{ZONE_LABEL}={zone}")
    if not nodes:
        raise ActivityFailed(f"zone {zone!r}: no node has label {ZONE_LABEL}={zone} (the fault would have no effect)")
    return nodes


def drain_zone(zone: str, timeout: float = 180, retry_interval: float = 5, configuration: Configuration = None,
               secrets: Secrets = None) -> dict[str, Any]:
    """Cordon and drain every node of `zone`, respecting PDBs; returns the drain report (fault: zone drain)."""
    result = drain_nodes_respecting_pdb(label_selector=f"{ZONE_LABEL}={zone}", timeout=timeout,
                                        retry_interval=retry_interval, configuration=configuration, secrets=secrets)
    return {"fault": "zone-drain", "zone": zone, **result}


@hard_fault
def fail_zone(zone: str, pod_label_selector: str = "app.kubernetes.io/name=agentflow",
              configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Hard-fail every node of `zone` (local fault API), or approximate it on a real cluster (cordon + delete
    the workload's pods there with grace 0). Returns what was done (in a dry run: what would have been done)
    and which fault model ran."""
    api = Api(secrets)
    try:
        nodes = _zone_nodes(api, zone)
        ns = namespace(configuration)
        pods = [p for p in api.items(f"/api/v1/namespaces/{ns}/pods", labelSelector=pod_label_selector)
                if p["spec"].get("nodeName") in nodes]
        checked = safety.guard("fail_zone", nodes=nodes, pods=pods, api=api, configuration=configuration,
                               secrets=secrets)
        reasons = {n: f"node of zone {zone}" for n in nodes}
        reasons.update({p["metadata"]["name"]: f"{pod_label_selector} pod on node {p['spec'].get('nodeName')} "
                        f"in zone {zone}" for p in pods})
        with plan.intent("fail_zone", f"zone {zone} fails", reasons=reasons):
            result = _local_failure(api, zone, nodes) if _is_local(api, nodes) else \
                _approximated_failure(api, zone, nodes, [p["metadata"]["name"] for p in pods], ns)
    finally:
        api.close()
    if checked.dry_run:
        return checked.planned("fail_zone", **result)
    journal.record("zone_faults", result)
    return result


def _local_failure(api: Api, zone: str, nodes: list[str]) -> dict[str, Any]:
    for node in nodes:
        set_local_fault(api, node, "fail")
    return {"fault": "zone-failure", "model": "local fault API: processes killed, nodes NotReady",
            "zone": zone, "nodes": nodes, "time": time.time()}


def _approximated_failure(api: Api, zone: str, nodes: list[str], pods: list[str], ns: str) -> dict[str, Any]:
    cordon(api, nodes)
    for pod in pods:
        api.delete(f"/api/v1/namespaces/{ns}/pods/{pod}", {"gracePeriodSeconds": 0})
    return {"fault": "zone-failure", "model": "APPROXIMATION on a real cluster: zone cordoned and its workload pods "
            "deleted with grace 0 (machines and networking were not touched)", "zone": zone, "nodes": nodes,
            "deleted_pods": pods, "time": time.time()}


def recover_zone(zone: str, configuration: Configuration = None, secrets: Secrets = None) -> list[str]:
    """Rollback of `fail_zone`: clear the local fault annotation of the zone's nodes (the suite's cordons are
    undone by `node.actions.uncordon_suite_nodes`). Returns the nodes recovered."""
    api = Api(secrets)
    try:
        nodes = _zone_nodes(api, zone)
        recovered = []
        with plan.intent("recover_zone", f"local fault set on a node of zone {zone}", restoring=True):
            for node in nodes:
                annotations = api.get(f"/api/v1/nodes/{node}")["metadata"].get("annotations") or {}
                if LOCAL_FAULT in annotations:
                    set_local_fault(api, node, None)
                    recovered.append(node)
        return recovered
    finally:
        api.close()
