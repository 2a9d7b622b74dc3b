"""Known-bad variants of the default AgentFlow workload: each is what a check of the suite must catch.

A variant is a pure function of the good manifests (copied, never mutated). `afsuite cluster variants`
prints `VARIANTS` with their one-line descriptions. A variant whose fault is in the cluster rather than in the
workload (the metrics pipeline) also names its cluster setting in `CLUSTER_SETTINGS`; its manifests are the
good ones.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from localcluster.workload.manifests import find

Manifests = list[dict]


def _pod_spec(docs: Manifests) -> dict:
    dep = find(docs, "Deployment")
    assert dep is not None, "the workload has no Deployment"
    return dep["spec"]["template"]["spec"]


def _container(docs: Manifests) -> dict:
    return _pod_spec(docs)["containers"][0]


def _drop(docs: Manifests, kind: str) -> Manifests:
    return [d for d in docs if d.get("kind") != kind]


def _drop_arg(container: dict, flag: str) -> None:
    args: list[str] = container.get("args", [])
    if flag in args:
        i = args.index(flag)
        del args[i:i + 2]


def _set_arg(container: dict, flag: str, value: str) -> None:
    args: list[str] = container.setdefault("args", [])
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]


def good(docs: Manifests) -> Manifests:
    return docs


def no_pdb(docs: Manifests) -> Manifests:
    return _drop(docs, "PodDisruptionBudget")


def pdb_all(docs: Manifests) -> Manifests:
    pdb, dep = find(docs, "PodDisruptionBudget"), find(docs, "Deployment")
    assert pdb is not None and dep is not None
    pdb["spec"]["minAvailable"] = dep["spec"]["replicas"]
    return docs


def ready_on_health(docs: Manifests) -> Manifests:
    c = _container(docs)
    c["readinessProbe"]["httpGet"]["path"] = "/health"
    _set_arg(c, "--warmup", "15")  # slow warm-up: /health is 200 while requests still fail with 503
    return docs


def no_prestop(docs: Manifests) -> Manifests:
    c = _container(docs)
    c.pop("lifecycle", None)
    _set_arg(c, "--lifecycle", "agentflow-1.11")
    _drop_arg(c, "--warmup")  # real AgentFlow has no warm-up state: its port opens only after init
    return docs


def no_anti_affinity(docs: Manifests) -> Manifests:
    _pod_spec(docs).pop("affinity", None)
    return docs


def no_spread(docs: Manifests) -> Manifests:
    spec = _pod_spec(docs)
    spec.pop("topologySpreadConstraints", None)
    # With no spread constraint, nothing stops a zone-preferring node pool from packing every replica into
    # one zone; this variant states that preference explicitly so the outcome is deterministic.
    spec.setdefault("affinity", {})["nodeAffinity"] = {
        "preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100,
            "preference": {"matchExpressions": [
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["zone-a"]}]},
        }]
    }
    return docs


def hpa_no_behavior(docs: Manifests) -> Manifests:
    hpa = find(docs, "HorizontalPodAutoscaler")
    assert hpa is not None
    hpa["spec"].pop("behavior", None)
    return docs


def memory_bound(docs: Manifests) -> Manifests:
    # AgentFlow caches every agent id it served forever; with 1 MiB kept per new id the pods' memory, not their
    # CPU, decides the HPA: its recommendation is the larger of the two (max of metrics).
    _set_arg(_container(docs), "--memory-per-agent-kb", "1024")
    return docs


def single_replica(docs: Manifests) -> Manifests:
    dep, hpa = find(docs, "Deployment"), find(docs, "HorizontalPodAutoscaler")
    assert dep is not None and hpa is not None
    dep["spec"]["replicas"] = 1
    hpa["spec"]["minReplicas"] = 1
    return _drop(docs, "PodDisruptionBudget")


def long_grace(docs: Manifests) -> Manifests:
    # The known-good answer to agent runs: every run up to the 180 s agent timeout, in flight when its pod begins
    # terminating, can finish: grace 200 s >= preStop 10 s + drain 190 s >= 10 s + agent timeout.
    _pod_spec(docs)["terminationGracePeriodSeconds"] = LONG_GRACE_S
    _set_arg(_container(docs), "--drain-timeout", str(LONG_GRACE_S - 10))
    return docs


LONG_GRACE_S = 200


def low_capacity(docs: Manifests) -> Manifests:
    # An upstream (model) concurrency limit far below what the pod's CPU could serve (a provider deployment
    # allowing 2 concurrent generations per pod): streams queue for a slot while CPU stays low, so latency
    # breaks before the HPA's CPU target is reached, even at the demo cluster's CPU scale 10 (`afsuite sweep`).
    _set_arg(_container(docs), "--capacity", "2")
    return docs

VARIANTS: dict[str, tuple[Callable[[Manifests], Manifests], str]] = {
    "good": (good, "AgentFlow's production settings (3 replicas, PDB 2, anti-affinity, zone spread, preStop)"),
    "no-pdb": (no_pdb, "no PodDisruptionBudget: a drain may take every replica down at once"),
    "pdb-all": (pdb_all, "PDB minAvailable = replicas: every drain is blocked (stuck) while dashboards stay green"),
    "ready-on-health": (ready_on_health, "readiness probe on /health with a slow warm-up: traffic reaches cold pods"),
    "no-prestop": (no_prestop, "no preStop and the agentflow-1.11 lifecycle: endpoint removal races SIGTERM"),
    "no-anti-affinity": (no_anti_affinity, "no pod anti-affinity: replicas may share a node"),
    "no-spread": (no_spread, "no zone topology spread (and a zone-a preference): all replicas in one zone"),
    "hpa-no-behavior": (hpa_no_behavior, "HPA without behavior: default scale-down after 300 s, 100 %/15 s"),
    "single-replica": (single_replica, "one replica, HPA min 1, no PDB: any pod loss is an outage"),
    "stale-metrics": (good, "the metrics pipeline is 240 s behind (a stuck metrics-server): the HPA reacts late"),
    "guide-alerts": (good, "the production guide's alerting rules verbatim (--prometheus): two can never fire"),
    "memory-bound": (memory_bound, "1 MiB kept per agent id served: memory, not CPU, decides the HPA"),
    "low-capacity": (low_capacity, "2 concurrent generations per pod: pods saturate (latency breaks) below the "
                     "HPA's 70 % CPU target, so the HPA scales only once users suffer"),
    "long-grace": (long_grace, "known-good for agent runs: grace 200 s and a 190 s server drain, above the 180 s "
                   "agent timeout plus preStop, so no legal run is cut by a disruption"),
}
# Cluster settings of the variants whose fault is not in the manifests: kubelet resource metrics served this many
# seconds old. Not time-scaled: it is measured against the HPA reaction budget (138 s on the fast cluster), which
# is not either; 240 s keeps even the pods' start-up CPU burst, seen that late, out of a campaign's first budget.
CLUSTER_SETTINGS: dict[str, dict[str, float]] = {"stale-metrics": {"metrics_lag": 240.0}}


def apply_variant(name: str, docs: Manifests) -> Manifests:
    """A deep copy of `docs` changed into the variant `name`."""
    if name not in VARIANTS:
        raise ValueError(f"--variant: unknown variant {name!r}; choose one of: {', '.join(VARIANTS)}")
    return VARIANTS[name][0](copy.deepcopy(docs))
