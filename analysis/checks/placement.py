"""Placement checks from cluster/deployments (the spec), cluster/pods and cluster/nodes.

  placement.anti_affinity[<deployment>]  when `anti_affinity_required` is set: at every pods sample no two
      scheduled, non-terminating pods of the deployment share a topology domain of a required term (its
      topologyKey: kubernetes.io/hostname -> node, topology.kubernetes.io/zone -> zone)
  placement.zone_skew[<deployment>]  for each zone constraint of `spread` (topologySpreadConstraints): at every
      pods sample, skew = max - min of the deployment's scheduled non-terminating pods per zone, over the zones
      that have a Ready node in the latest nodes sample; must stay <= maxSkew. DoNotSchedule constraints fail
      when exceeded; ScheduleAnyway (soft) ones only report it. A deployment with no zone constraint at all is
      judged against an implied maxSkew 1 DoNotSchedule (AgentFlow's production setting, the `good` workload):
      replicas piled into one zone are what a zone outage takes down at once, and the sentence says it was implied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.kube import deployment_of_pods, listed, parse_json, skipped, window
from analysis.checks.result import CheckResult, Evidence
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


def zone_skew(name: str, placed: pd.DataFrame, constraint: dict, deployment: str, nodes: pd.DataFrame | None,
              times: np.ndarray, origin: float, implied: bool = False) -> CheckResult:
    max_skew = float(constraint.get("maxSkew", 1))
    hard = constraint.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
    zones_at = _ready_zones(nodes, times)
    counts = placed.dropna(subset=["zone"]).groupby(["time", "zone"]).size()
    worst, worst_at, over = 0.0, None, []
    for t in times:
        zones = zones_at.get(float(t)) or set(placed.loc[placed["time"] == t, "zone"].dropna())
        if not zones:
            continue
        per_zone = {z: int(counts.get((t, z), 0)) for z in zones}
        skew = float(max(per_zone.values()) - min(per_zone.values()))
        if skew > worst:
            worst, worst_at = skew, (t, per_zone)
        if skew > max_skew:
            over.append(t)
    kind = "DoNotSchedule" if hard else "ScheduleAnyway (soft)"
    verdict = "fail" if over and hard else "pass"
    detail = "" if worst_at is None else (f" Worst at {fmt.offset(worst_at[0] - origin)}: "
                                          + ", ".join(f"{z} {n}" for z, n in sorted(worst_at[1].items())) + ".")
    sentence = (f"{deployment}: zone skew (max - min pods per zone with a Ready node) peaked at {worst:g} vs maxSkew "
                f"{max_skew:g} ({kind}); above it in {len(over)} of {len(times)} samples: {verdict.upper()}.{detail}")
    if implied:
        sentence = (f"{deployment} has no zone topologySpreadConstraint; judged against an implied maxSkew 1 "
                    "(AgentFlow's production setting). " + sentence)
    objects: tuple[str, ...] = () if worst_at is None else tuple(f"{z}: {n} pods"
                                                                 for z, n in sorted(worst_at[1].items()))
    if verdict == "fail" and worst_at is not None:
        at = placed[placed["time"] == worst_at[0]]
        objects += tuple(f"{p} on {n} ({z})" for p, n, z in zip(at["pod"], at["node"], at["zone"], strict=True))
    return CheckResult(name, verdict, worst, max_skew, "pods",
                       Evidence(sentence, window(over or list(times), origin), objects), "placement")


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
