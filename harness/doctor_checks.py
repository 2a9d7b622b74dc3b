"""The doctor's findings that are pure functions of objects: the workload's Deployment, HPA and PDB (as read
from the API or from manifest files) and a pod's Prometheus text. No I/O here, so each known-bad variant of the
local workload can be checked without a cluster (`manifest_findings(apply_variant(name, docs))`).

Severity: `error` = the suite's experiments cannot give a meaningful answer (a drain that must deadlock),
`warning` = a known gap of AgentFlow's shipped chart that an experiment will expose, `info` = what was found.
Each finding has a stable `check` id (tests and CI filter on it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harness.stream_budget import stream_budget
from localcluster import match_label_selector

Obj = Mapping[str, Any]
SEVERITIES = ("ok", "info", "warning", "error")
HEALTH_PATHS = ("/health", "/healthz")
DOCS_METRIC = "agentflow_requests_total"
REAL_METRIC = "agentflow_http_requests_total"
DURATION = "agentflow_http_request_duration_seconds"
ERROR_RATE_QUERY = (f'sum(rate({REAL_METRIC}{{status="5xx"}}[5m])) / sum(rate({REAL_METRIC}[5m]))')


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # ok | info | warning | error
    check: str  # stable id, e.g. workload.prestop
    message: str
    object: str | None = None

    def line(self) -> str:
        where = f" [{self.object}]" if self.object else ""
        return f"{self.severity.upper():<7} {self.check:<26} {self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _name(obj: Obj) -> str:
    md = obj.get("metadata") or {}
    return f"{str(obj.get('kind', '?')).lower()}/{md.get('name', '?')}"


def _pod_spec(dep: Obj) -> Obj:
    return ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}


def _main_container(dep: Obj) -> Obj:
    containers = _pod_spec(dep).get("containers") or [{}]
    return containers[0]


def replica_findings(dep: Obj, hpa: Obj | None) -> list[Finding]:
    replicas = int((dep.get("spec") or {}).get("replicas", 1))
    floor = int(((hpa or {}).get("spec") or {}).get("minReplicas", replicas)) if hpa else replicas
    if min(replicas, floor) <= 1:
        return [Finding("warning", "workload.single-replica", f"{replicas} replica(s) (HPA min {floor}): any pod "
                        "loss, rollout or drain is an outage; production guide: 3", _name(dep))]
    return [Finding("ok", "workload.replicas", f"{replicas} replicas (HPA min {floor})", _name(dep))]


def shutdown_findings(dep: Obj) -> list[Finding]:
    """preStop and terminationGracePeriodSeconds (endpoint removal races SIGTERM without a preStop delay)."""
    out = []
    spec, container = _pod_spec(dep), _main_container(dep)
    pre_stop = (container.get("lifecycle") or {}).get("preStop")
    if not pre_stop:
        out.append(Finding("warning", "workload.prestop", "no preStop hook: endpoint removal races the listener "
                           "close (kubernetes#67592); expect refused/reset connections on every rollout and drain; "
                           "production guide: preStop `sleep 10`", _name(dep)))
    else:
        out.append(Finding("ok", "workload.prestop", f"preStop {pre_stop}", _name(dep)))
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None or int(grace) <= 30:
        shown = "not set (default 30 s)" if grace is None else f"{grace} s"
        out.append(Finding("warning", "workload.grace-period", f"terminationGracePeriodSeconds {shown}: preStop and "
                           "the 15 s + 15 s shutdown do not fit; production guide: 60 s", _name(dep)))
    else:
        out.append(Finding("ok", "workload.grace-period", f"terminationGracePeriodSeconds {grace} s", _name(dep)))
    return [*out, stream_budget_finding(dep)]


def stream_budget_finding(dep: Obj) -> Finding:
    """Whether a legal agent run (up to the agent timeout) survives a disruption (harness/stream_budget.py)."""
    b = stream_budget(_pod_spec(dep))
    if b.allowed_s >= b.agent_timeout_s:
        return Finding("ok", "workload.stream-budget", f"in-flight streams get {b.arithmetic()} after a disruption "
                       f"begins, at least the agent timeout {b.agent_timeout_s:g} s", _name(dep))
    need = b.agent_timeout_s + (b.prestop_s or 0.0)
    return Finding("warning", "workload.stream-budget", f"grace {b.grace_s:g} s < agent timeout "
                   f"{b.agent_timeout_s:g} s: runs longer than ~{b.allowed_s:g} s are cut at every disruption (pod "
                   f"delete, drain, rollout, HPA scale-down); {b.arithmetic()}; give terminationGracePeriodSeconds >= "
                   f"agent timeout + preStop ({need:g} s) and a server drain budget as long", _name(dep))


def probe_findings(dep: Obj) -> list[Finding]:
    readiness = _main_container(dep).get("readinessProbe")
    if not readiness:
        return [Finding("warning", "workload.readiness-path", "no readiness probe: pods get traffic as soon as they "
                        "start", _name(dep))]
    path = (readiness.get("httpGet") or {}).get("path")
    if path in HEALTH_PATHS:
        return [Finding("warning", "workload.readiness-path", f"readiness probe on {path}, which is always 200: "
                        "traffic reaches pods whose dependencies are down or still warming up; use /ready",
                        _name(dep))]
    return [Finding("ok", "workload.readiness-path", f"readiness probe on {path}", _name(dep))]


def _selects_own_pods(term: Obj, labels: Obj) -> bool:
    wanted = ((term.get("labelSelector") or {}).get("matchLabels") or {})
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def placement_findings(dep: Obj) -> list[Finding]:
    """Required pod anti-affinity on the hostname and a zone topology spread, both on the workload's labels."""
    spec = _pod_spec(dep)
    labels = ((dep.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    anti = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
    required = [t for t in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []
                if t.get("topologyKey") == "kubernetes.io/hostname" and _selects_own_pods(t, labels)]
    preferred = anti.get("preferredDuringSchedulingIgnoredDuringExecution")
    out = []
    if required:
        out.append(Finding("ok", "workload.anti-affinity", "required pod anti-affinity on kubernetes.io/hostname",
                           _name(dep)))
    else:
        how = "only preferred" if preferred else "none"
        out.append(Finding("warning", "workload.anti-affinity", f"pod anti-affinity on the hostname: {how}; replicas "
                           "may share a node, so one node loss can take several", _name(dep)))
    spread = [c for c in spec.get("topologySpreadConstraints") or []
              if c.get("topologyKey") == "topology.kubernetes.io/zone"]
    if not spread:
        out.append(Finding("warning", "workload.topology-spread", "no topology spread over topology.kubernetes.io/"
                           "zone: every replica may land in one zone (a zone outage is a full outage)", _name(dep)))
    else:
        c = spread[0]
        sev = "ok" if c.get("whenUnsatisfiable") == "DoNotSchedule" else "info"
        out.append(Finding(sev, "workload.topology-spread", f"zone spread maxSkew {c.get('maxSkew')}, "
                           f"{c.get('whenUnsatisfiable')}", _name(dep)))
    return out


def hpa_findings(hpa: Obj | None, deployment: str) -> list[Finding]:
    if hpa is None:
        return [Finding("warning", "hpa.missing", f"no HorizontalPodAutoscaler targets deployment {deployment}: "
                        "the hpa-scale experiment and scaling checks will be skipped")]
    spec = hpa.get("spec") or {}
    metrics = ", ".join(_metric_text(m) for m in spec.get("metrics") or []) or "none (defaults to CPU 80 %)"
    out = [Finding("info", "hpa.found", f"min {spec.get('minReplicas', 1)}, max {spec.get('maxReplicas')}, metrics: "
                   f"{metrics}", _name(hpa))]
    behavior = spec.get("behavior")
    if not behavior:
        out.append(Finding("warning", "hpa.behavior", "HPA without behavior: defaults apply (scale-down after a 300 s "
                           "window at 100 %/15 s, scale-up max(2x, 4)); production guide: scale-down 10 %/60 s",
                           _name(hpa)))
    else:
        parts = [f"{d} window {(behavior.get(d) or {}).get('stabilizationWindowSeconds', 'default')} s"
                 for d in ("scaleUp", "scaleDown")]
        out.append(Finding("ok", "hpa.behavior", "behavior: " + ", ".join(parts), _name(hpa)))
    return out


def _metric_text(metric: Obj) -> str:
    res = metric.get("resource") or {}
    target = res.get("target") or {}
    value = target.get("averageUtilization", target.get("averageValue", target.get("value")))
    return f"{res.get('name', metric.get('type'))} {value}{'%' if 'averageUtilization' in target else ''}"


def _desired_healthy(spec: Obj, replicas: int) -> int | None:
    for key, invert in (("minAvailable", False), ("maxUnavailable", True)):
        if key in spec:
            raw = spec[key]
            if isinstance(raw, str) and raw.endswith("%"):
                value = math.ceil(replicas * int(raw[:-1]) / 100)
            else:
                value = int(raw)
            return replicas - value if invert else value
    return None


def pdb_findings(pdbs: Sequence[Obj], dep: Obj, hpa_min: int | None = None) -> list[Finding]:
    """PDB off, several PDBs (eviction answers 500), a floor that deadlocks every drain, or one that deadlocks
    once the HPA has scaled down to its minReplicas."""
    if not pdbs:
        return [Finding("warning", "pdb.missing", "no PodDisruptionBudget selects the workload: a drain may evict "
                        "every replica at once; production guide: minAvailable 2", _name(dep))]
    if len(pdbs) > 1:
        return [Finding("error", "pdb.several", f"{len(pdbs)} PDBs select the workload "
                        f"({', '.join(_name(p) for p in pdbs)}): every eviction fails with 500")]
    pdb, replicas = pdbs[0], int((dep.get("spec") or {}).get("replicas", 1))
    spec = pdb.get("spec") or {}
    shown = ", ".join(f"{k} {spec[k]}" for k in ("minAvailable", "maxUnavailable") if k in spec)
    desired = _desired_healthy(spec, replicas)
    if desired is not None and desired >= replicas:
        return [Finding("error", "pdb.deadlock", f"{shown} with {replicas} replicas: the budget allows no "
                        "disruption, so every drain (node upgrade, zone drain) deadlocks while dashboards stay green",
                        _name(pdb))]
    out = [Finding("ok", "pdb.found", f"{shown} ({replicas} replicas: {replicas - (desired or 0)} disruption(s) "
                   "allowed)", _name(pdb))]
    at_min = _desired_healthy(spec, hpa_min) if hpa_min is not None and hpa_min < replicas else None
    if hpa_min is not None and at_min is not None and at_min >= hpa_min:
        out.append(Finding("warning", "pdb.deadlock-at-hpa-min", f"{shown}: once the HPA scales down to its "
                           f"minReplicas {hpa_min}, the budget allows no disruption and drains deadlock", _name(pdb)))
    return out


def workload_findings(dep: Obj, hpa: Obj | None, pdbs: Sequence[Obj]) -> list[Finding]:
    """Every manifest-level finding for one Deployment, its HPA (or None) and the PDBs selecting it."""
    name = (dep.get("metadata") or {}).get("name", "?")
    return [*replica_findings(dep, hpa), *shutdown_findings(dep), *probe_findings(dep),
            *placement_findings(dep), *hpa_findings(hpa, name), *pdb_findings(pdbs, dep, _hpa_min(hpa))]


def _hpa_min(hpa: Obj | None) -> int | None:
    return int((hpa.get("spec") or {}).get("minReplicas", 1)) if hpa else None


def selects(selector: Obj | None, labels: Obj) -> bool:
    """A PDB's label selector against labels, as Kubernetes decides it (the local cluster's own matcher): an
    empty selector selects every pod and a missing one none."""
    return match_label_selector(selector, {str(k): str(v) for k, v in labels.items()})


def manifest_findings(docs: list[Obj], deployment: str = "agentflow") -> list[Finding]:
    """Findings for manifests (e.g. a variant of localcluster/workload/agentflow.yaml), no cluster needed."""
    dep = next((d for d in docs if d.get("kind") == "Deployment"
                and (d.get("metadata") or {}).get("name") == deployment), None)
    if dep is None:
        return [Finding("error", "workload.missing", f"no Deployment named {deployment} in the manifests")]
    labels = (dep["spec"].get("template") or {}).get("metadata", {}).get("labels") or {}
    hpa = next((d for d in docs if d.get("kind") == "HorizontalPodAutoscaler"
                and (d.get("spec") or {}).get("scaleTargetRef", {}).get("name") == deployment), None)
    pdbs = [d for d in docs if d.get("kind") == "PodDisruptionBudget"
            and selects((d.get("spec") or {}).get("selector"), labels)]
    return workload_findings(dep, hpa, pdbs)


def metrics_findings(text: str | None, where: str | None = None) -> list[Finding]:
    """The metric-names caveat, checked against a pod's /metrics text (None: not scraped)."""
    if text is None:
        return [Finding("info", "metrics.names", f"metrics not checked ({where or 'no way to reach a pod'}); caveat: "
                        f"AgentFlow's docs name {DOCS_METRIC}, which does not exist; use {REAL_METRIC} "
                        f"(status classes): {ERROR_RATE_QUERY}")]
    out = []
    if REAL_METRIC in text and not re.search(rf"^{DOCS_METRIC}\b", text, re.M):
        out.append(Finding("warning", "metrics.names", f"{DOCS_METRIC} (the name in AgentFlow's deployment docs and "
                           f"alerts) does not exist, so those alerts never fire; the real counter is {REAL_METRIC} "
                           f"with status classes: {ERROR_RATE_QUERY}", where))
    elif REAL_METRIC not in text:
        out.append(Finding("warning", "metrics.names", f"neither {REAL_METRIC} nor {DOCS_METRIC} is exported", where))
    buckets = {float(b) for b in re.findall(rf'^{DURATION}_bucket{{[^}}]*le="([0-9.e+]+)"', text, re.M)}
    if buckets and max(buckets) <= 10:
        out.append(Finding("warning", "metrics.top-bucket", f"{DURATION}'s top finite bucket is {max(buckets):g} s: "
                           "a P99 > 10 s alert can never be resolved from this histogram; alert on client-side "
                           "latency (this suite's streams) instead", where))
    return out or [Finding("ok", "metrics.names", f"{REAL_METRIC} exported", where)]
