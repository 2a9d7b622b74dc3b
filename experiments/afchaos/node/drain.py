"""A drain that respects PodDisruptionBudgets like `kubectl drain`: evictions denied with 429 are retried every
`retry_interval` seconds until `timeout`, every denial is recorded, and the outcome says whether the budget
only slowed the drain down ("blocked by PDB as expected": replacements became Ready and the evictions went
through) or the drain never completed ("stuck", naming the budget that blocked it).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from kubernetes.client.rest import ApiException

from experiments.afchaos.k8s import Api, status_message


@dataclass
class DrainReport:
    nodes: list[str]
    status: str = "drained"  # drained | stuck | planned (dry run)
    evicted: list[dict[str, Any]] = field(default_factory=list)
    denials: list[dict[str, Any]] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    ended: float | None = None

    @property
    def blocked_by_pdb(self) -> bool:
        return bool(self.denials)

    def summary(self) -> str:
        took = (self.ended or time.time()) - self.started
        if self.status == "planned":
            return (f"dry run: would drain {', '.join(self.nodes)}: {len(self.evicted)} eviction(s) planned, "
                    f"{len(self.denials)} the API server would deny now (PDB)")
        if self.status == "stuck":
            last = self.denials[-1]["message"] if self.denials else "pods did not go away"
            return (f"drain of {', '.join(self.nodes)} STUCK after {took:.0f} s: {len(self.remaining)} pod(s) "
                    f"left ({', '.join(self.remaining)}); {len(self.denials)} eviction(s) denied; last: {last}")
        note = (f"; blocked by PDB as expected {len(self.denials)} time(s) while replacements became Ready"
                if self.denials else "")
        return f"drained {', '.join(self.nodes)} in {took:.1f} s: {len(self.evicted)} pod(s) evicted{note}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["blocked_by_pdb_as_expected"] = self.status == "drained" and self.blocked_by_pdb
        out["summary"] = self.summary()
        return out


def eviction_candidates(api: Api, node: str, with_local_storage: bool) -> list[dict[str, Any]]:
    """Pods `kubectl drain --ignore-daemonsets` would evict from `node` (mirror and DaemonSet pods skipped)."""
    out = []
    for pod in api.items("/api/v1/pods", fieldSelector=f"spec.nodeName={node}"):
        md, spec = pod["metadata"], pod.get("spec") or {}
        if "kubernetes.io/config.mirror" in (md.get("annotations") or {}):
            continue
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            out.append(pod)
            continue
        if any("emptyDir" in v for v in spec.get("volumes") or []) and not with_local_storage:
            continue
        owners = [o for o in md.get("ownerReferences") or [] if o.get("controller")]
        if not owners:
            raise ValueError(f"pod {md['namespace']}/{md['name']} on node {node} has no controller; "
                             "delete it first or exclude the node")
        if owners[0].get("kind") != "DaemonSet":
            out.append(pod)
    return out


def _evict(api: Api, pod: dict[str, Any], report: DrainReport) -> bool:
    md = pod["metadata"]
    body = {"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": md["name"], "namespace": md["namespace"]}, "deleteOptions": {}}
    try:
        api.post(f"/api/v1/namespaces/{md['namespace']}/pods/{md['name']}/eviction", body)
    except ApiException as exc:
        if exc.status == 404:
            return True
        if exc.status == 429:
            report.denials.append({"pod": md["name"], "time": time.time(), "message": status_message(exc)})
            return False
        raise
    report.evicted.append({"pod": md["name"], "node": pod["spec"].get("nodeName"), "time": time.time()})
    return True


def _gone(api: Api, pod: dict[str, Any]) -> bool:
    md = pod["metadata"]
    try:
        now = api.get(f"/api/v1/namespaces/{md['namespace']}/pods/{md['name']}")
    except ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return now["metadata"].get("uid") != md.get("uid")


def drain(api: Api, nodes: list[str], *, timeout: float, retry_interval: float,
          with_local_storage: bool = False, dry_run: bool = False) -> DrainReport:
    """Evict every candidate pod of `nodes` (already cordoned), retrying PDB denials until `timeout`. In a dry
    run each eviction is asked for once (the guard sends it with dryRun=All or not at all) and nothing is
    waited for: the report's status is `planned`."""
    report = DrainReport(nodes=nodes)
    pods = [p for n in nodes for p in eviction_candidates(api, n, with_local_storage)]
    if dry_run:
        for pod in pods:
            _evict(api, pod, report)
        report.status, report.ended = "planned", time.time()
        return report
    to_evict = list(pods)
    deadline = time.monotonic() + timeout
    while True:
        to_evict = [p for p in to_evict if not _evict(api, p, report)]
        waiting = [p for p in pods if not _gone(api, p)]
        if not to_evict and not waiting:
            break
        if time.monotonic() >= deadline:
            report.status = "stuck"
            report.remaining = sorted({p["metadata"]["name"] for p in to_evict + waiting})
            break
        time.sleep(min(retry_interval, max(0.0, deadline - time.monotonic())))
    report.ended = time.time()
    return report
