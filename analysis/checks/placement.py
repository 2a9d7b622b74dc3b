"""Placement checks from cluster/deployments (the spec), cluster/pods and cluster/nodes.

  placement.anti_affinity[<deployment>]  when `anti_affinity_required` is set: at every pods sample no two
      scheduled, non-terminating pods of the deployment share a topology domain of a required term (its
      topologyKey: kubernetes.io/hostname -> node, topology.kubernetes.io/zone -> zone)
  placement.zone_skew[<deployment>]  for each zone constraint of `spread` (topologySpreadConstraints): skew =
      max - min of the deployment's scheduled non-terminating pods per zone, over the zones that have a Ready
      node in the latest nodes sample, judged where the scheduler enforces it: at the first sample (history
      unknown) and at every later placement (the least skew the placement can have had between two samples);
      must be <= maxSkew. Skew left by removals (drains, kills, scale-down) is reported, not judged: upstream
      never rebalances running pods. DoNotSchedule constraints fail when exceeded; ScheduleAnyway (soft) ones
      only report it. A deployment with no zone constraint at all is
      judged against an implied maxSkew 1 DoNotSchedule (AgentFlow's production setting, the `good` workload):
      replicas piled into one zone are what a zone outage takes down at once, and the sentence says it was implied.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import deployment_of_pods, listed, parse_json, skipped, window
from analysis.checks.result import CheckResult, Evidence, Verdict
from analysis.cluster import ClusterData

IMPLIED_SPREAD = {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule"}
DOMAIN = {"kubernetes.io/hostname": "node", "topology.kubernetes.io/zone": "zone",
          "failure-domain.beta.kubernetes.io/zone": "zone"}


def _spec(deployments: pd.DataFrame, name: str, column: str) -> list[dict]:
    values = deployments.loc[deployments["name"] == name, column].dropna()
    if not len(values):
        return []
    parsed = parse_json(values.iloc[-1], f"cluster/deployments.parquet column {column}")
    return [t for t in parsed if isinstance(t, dict)] if isinstance(parsed, list) else []


def _placed(pods: pd.DataFrame, owner: pd.Series, deployment: str) -> pd.DataFrame:
    mine = pods[(owner == deployment).to_numpy()]
    return mine[mine["node"].notna() & ~mine["terminating"].fillna(False).astype(bool)]


def anti_affinity(name: str, placed: pd.DataFrame, terms: list[dict], deployment: str, samples: int,
                  origin: float) -> CheckResult:
    keys = sorted({DOMAIN.get(str(t.get("topologyKey")), "node") for t in terms})
    clashes = []
    for key in keys:
        shared = placed.groupby(["time", key])["pod"].agg(list)
        shared = shared[shared.map(len) > 1]
        clashes += [(t, key, domain, pods) for (t, domain), pods in shared.items()]
    if not clashes:
        sentence = (f"{deployment}: required anti-affinity ({', '.join(keys)}) held in all {samples} pods samples: no "
                    "two scheduled pods shared a domain.")
        evidence = Evidence(sentence, window(placed["time"], origin))
        return CheckResult(name, "pass", 0, 0, "samples", evidence, "placement")
    clashes.sort(key=lambda c: c[0])
    t, key, domain, pods = clashes[0]
    times = sorted({c[0] for c in clashes})
    objects = listed([f"{key} {d}: {', '.join(sorted(p))}" for _, _, d, p in clashes])
    sentence = (f"{deployment}: required anti-affinity violated in {len(times)} of {samples} pods samples, first at "
                f"{fmt.offset(t - origin)}: {', '.join(sorted(pods))} on the same {key} {domain}.")
    return CheckResult(name, "fail", len(times), 0, "samples", Evidence(sentence, window(times, origin), objects),
                       "placement")


def _ready_zones(nodes: pd.DataFrame | None, times: np.ndarray) -> dict[float, set[str]]:
    if nodes is None or not len(nodes):
        return {}
    ready = nodes[(nodes["ready"] == "True") & nodes["zone"].notna()]
    sample_times = np.sort(nodes["time"].unique())
    zones = {float(t): set(g["zone"]) for t, g in ready.groupby("time")}
    out = {}
    for t in times:
        i = np.searchsorted(sample_times, t, side="right") - 1
        out[float(t)] = zones.get(float(sample_times[max(i, 0)]), set()) if len(sample_times) else set()
    return out


class Placement(NamedTuple):
    """One judged moment: a pod's placement, or (pod "") the state at the first sample."""

    time: float
    pod: str
    node: str
    zone: str
    skew: float
    counts: dict[str, int]


def _members(sample: pd.DataFrame | None, zones: set[str]) -> dict[str, set[str]]:
    if sample is None:
        return {z: set() for z in zones}
    return {z: set(sample.loc[sample["zone"] == z, "pod"]) for z in zones}


def _placements(sample: pd.DataFrame, t: float, members: dict[str, set[str]], counts: dict[str, int],
                before: dict[str, set[str]], first_seen: pd.Series) -> list[Placement]:
    """The pods first placed at sample `t`, each with the least zone skew its placement can have had.

    Upstream's filter: skew = pods in the chosen zone + 1 - the fewest pods in any zone (the incoming pod not
    counted; terminating pods never counted). Between two samples the order is unknown, so the chosen zone counts
    only pods present at both samples and every zone counts every pod it may have had (before or new): a
    placement flagged here broke maxSkew whatever the order was.
    """
    new = sample[(first_seen.reindex(sample["pod"]).to_numpy() == t)]
    arrived = set(new["pod"])
    may_have = {z: before.get(z, set()) | (m & arrived) for z, m in members.items()}
    out = []
    for pod, node, zone in zip(new["pod"], new["node"], new["zone"], strict=True):
        if zone not in members:
            continue
        own = len(members[zone] & before.get(zone, set())) + 1
        fewest = min(len(m - {pod}) for m in may_have.values())
        out.append(Placement(float(t), str(pod), str(node), str(zone), float(own - fewest), counts))
    return out


def zone_skew(name: str, placed: pd.DataFrame, constraint: dict, deployment: str, nodes: pd.DataFrame | None,
              times: np.ndarray, origin: float, implied: bool = False) -> CheckResult:
    """Judge placements, as the scheduler enforces them: the state at the first sample (its history is unknown)
    and every later placement. Skew left by removals (a drain, a scale-down) is shown, not judged: upstream
    does not rebalance running pods (topology spread is a scheduling-time constraint)."""
    max_skew = float(constraint.get("maxSkew", 1))
    hard = constraint.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
    zones_at = _ready_zones(nodes, times)
    located = placed.dropna(subset=["zone"])
    by_time = {float(t): g for t, g in located.groupby("time")}
    first_seen = located.groupby("pod")["time"].min()
    judged: list[Placement] = []
    state_worst: tuple[float, float, dict[str, int]] | None = None
    before: dict[str, set[str]] | None = None
    for t in times:
        sample = by_time.get(float(t))
        zones = zones_at.get(float(t)) or (set(sample["zone"]) if sample is not None else set())
        if not zones:
            continue
        members = _members(sample, zones)
        counts = {z: len(m) for z, m in members.items()}
        skew = float(max(counts.values()) - min(counts.values()))
        if state_worst is None or skew > state_worst[1]:
            state_worst = (float(t), skew, counts)
        if before is None:
            judged.append(Placement(float(t), "", "", "", skew, counts))
        elif sample is not None:
            judged += _placements(sample, float(t), members, counts, before, first_seen)
        before = members
    return _zone_skew_result(name, judged, state_worst, placed, max_skew, hard, deployment, times, origin, implied)


def _zone_skew_result(name: str, judged: list[Placement], state_worst: tuple[float, float, dict[str, int]] | None,
                      placed: pd.DataFrame, max_skew: float, hard: bool, deployment: str, times: np.ndarray,
                      origin: float, implied: bool) -> CheckResult:
    over = [j for j in judged if j.skew > max_skew]
    worst = max((j.skew for j in judged), default=0.0)
    kind = "DoNotSchedule" if hard else "ScheduleAnyway (soft)"
    verdict: Verdict = "fail" if over and hard else "pass"
    placements = sum(1 for j in judged if j.pod)
    sentence = (f"{deployment}: zone skew (pods per zone with a Ready node; max - min) at the first sample and "
                f"at each of {placements} later placement(s) peaked at {worst:g} vs maxSkew {max_skew:g} ({kind}); "
                f"{len(over)} above it: {verdict.upper()}.")
    objects: list[str] = []
    for t, pod, node, zone, skew, counts in over[:10]:
        shown = ", ".join(f"{z} {n}" for z, n in sorted(counts.items()))
        if pod:
            sentence += f" {pod} placed on {node} ({zone}) at {fmt.offset(t - origin)}: skew {skew:g} ({shown})."
            objects.append(f"{pod} on {node} ({zone})")
        else:
            sentence += f" Already at the first sample ({fmt.offset(t - origin)}): {shown}."
            objects += [f"{z}: {n} pods" for z, n in sorted(counts.items())]
            at = placed[placed["time"] == t]
            objects += [f"{p} on {n} ({z})" for p, n, z in zip(at["pod"], at["node"], at["zone"], strict=True)]
    if state_worst is not None and state_worst[1] > worst:
        shown = ", ".join(f"{z} {n}" for z, n in sorted(state_worst[2].items()))
        sentence += (f" The running pods' skew peaked at {state_worst[1]:g} at {fmt.offset(state_worst[0] - origin)} "
                     f"({shown}) after pods were removed (a drain, a kill, a scale-down): Kubernetes enforces spread "
                     "only when it schedules and does not rebalance, so that is shown, not judged.")
    if implied:
        sentence = (f"{deployment} has no zone topologySpreadConstraint; judged against an implied maxSkew 1 "
                    "(AgentFlow's production setting). " + sentence)
    evidence = Evidence(sentence, window([j.time for j in over] or list(times), origin), tuple(objects))
    return CheckResult(name, verdict, worst, max_skew, "pods", evidence, "placement")


def evaluate_placement(cluster: ClusterData, origin: float) -> list[CheckResult]:
    deployments, pods = cluster.frame("deployments"), cluster.frame("pods")
    if deployments is None or pods is None or not len(deployments) or not len(pods):
        reason = cluster.reason("cluster/deployments.parquet", "cluster/pods.parquet")
        return [skipped(n, "placement", reason) for n in ("placement.anti_affinity", "placement.zone_skew")]
    names = sorted(set(deployments["name"]))
    owner = deployment_of_pods(pods, cluster.frame("replicasets"), names)
    times = np.sort(pods["time"].unique())
    many, results = len(names) > 1, []
    for deployment in names:
        suffix = f"[{deployment}]" if many else ""
        placed = _placed(pods, owner, deployment)
        terms = _spec(deployments, deployment, "anti_affinity_required")
        name = f"placement.anti_affinity{suffix}"
        results.append(anti_affinity(name, placed, terms, deployment, len(times), origin) if terms
                       else skipped(name, "placement", f"{deployment} has no required pod anti-affinity"))
        zonal = [c for c in _spec(deployments, deployment, "spread") if DOMAIN.get(str(c.get("topologyKey"))) == "zone"]
        name = f"placement.zone_skew{suffix}"
        if not zonal:
            results.append(zone_skew(name, placed, IMPLIED_SPREAD, deployment, cluster.frame("nodes"), times, origin,
                                     implied=True))
        for i, constraint in enumerate(zonal):
            check = name if i == 0 else f"{name}#{i + 1}"
            results.append(zone_skew(check, placed, constraint, deployment, cluster.frame("nodes"), times, origin))
    return results


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_placement(ctx.cluster, ctx.origin)


CHECKS = (Check(60, "placement", check, cluster=True, sampled=True),)
