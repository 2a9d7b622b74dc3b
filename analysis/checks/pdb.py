"""PDB checks: the Ready floor during disruptions, eviction denials and stuck drains.

  pdb.floor[<pdb>]  at every cluster/pods sample inside a fault mark's [start, end]: Ready replicas of the PDB's
                    workload (pods ready and not terminating, mapped to the deployment of the PDB's name, or the
                    only deployment) >= desired_healthy of the latest cluster/pdb sample; measured = the lowest
                    Ready count seen, threshold = the floor. With no PDB at all, the floor the experiment declared
                    (chaos/floor.jsonl, its floor-watch `min_ready`) is judged instead: no PDB protects it.
                    A PDB governs evictions only (upstream: the eviction API refuses them below the budget; the
                    workload's owner changing its scale is no disruption). So samples in which the owner had scaled
                    the deployment below the floor (cluster/deployments `spec_replicas` < floor), and those after
                    it scaled back until Ready reached the floor again, are set aside and counted in the sentence.
  pdb.denials       PDB 429 denials counted from chaos/drains.jsonl (information: pass, measured = count)
  pdb.drains        every drain in chaos/drains.jsonl completed; a "stuck" drain fails naming its node(s), the
                    pods left and the budget message that blocked it
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import asof, deployment_of_pods, listed, skipped, window
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

_BUDGET = re.compile(r"disruption budget (\S+)")


def _target(pdb: str, deployments: list[str]) -> str | None:
    if pdb in deployments:
        return pdb
    return deployments[0] if len(deployments) == 1 else None


def _in_marks(times: np.ndarray, marks: pd.DataFrame) -> np.ndarray:
    inside = np.zeros(len(times), dtype=bool)
    for start, end in zip(marks["start"], marks["end"], strict=True):
        inside |= (times >= start) & (times <= (end if np.isfinite(end) else start))
    return inside


def ready_counts(pods: pd.DataFrame, owner: pd.Series, deployment: str) -> pd.Series:
    """Ready, not terminating pods of `deployment` per pods sample time (0 where it had none)."""
    mine = pods[(owner == deployment).to_numpy()]
    healthy = mine[mine["ready"].fillna(False).astype(bool) & ~mine["terminating"].fillna(False).astype(bool)]
    times = np.sort(pods["time"].unique())
    return healthy.groupby("time").size().reindex(times, fill_value=0)


def scaled_below(times: np.ndarray, ready: np.ndarray, floor: np.ndarray, scale: pd.DataFrame | None) -> np.ndarray:
    """Per sample: the owner had scaled the deployment below the floor (`scale`: its cluster/deployments rows), or
    it is still climbing back from that (Ready below the floor since such a sample)."""
    if scale is None or not len(scale):
        return np.zeros(len(times), dtype=bool)
    spec = asof(times, scale["time"].to_numpy(np.float64), scale["spec_replicas"].to_numpy(np.float64))
    owned = np.isfinite(spec) & (spec < floor)
    out = owned.copy()
    for i in range(1, len(times)):
        out[i] = out[i] or (out[i - 1] and ready[i] < floor[i])
    return out


def _aside(count: int, deployment: str) -> str:
    if not count:
        return ""
    return (f" {count} sample(s) in which the owner had scaled {deployment} below the floor (or it was climbing "
            "back from that) are set aside: a PDB governs evictions, not the workload's own scale.")


def floor_check(name: str, pdb_rows: pd.DataFrame, pods: pd.DataFrame, owner: pd.Series, deployment: str,
                marks: pd.DataFrame, origin: float, label: str | None = None,
                scale: pd.DataFrame | None = None) -> CheckResult:
    pdb = str(pdb_rows["name"].iloc[0])
    label = label or f"PDB {pdb}"
    counts = ready_counts(pods, owner, deployment)
    times = counts.index.to_numpy(np.float64)
    floor = asof(times, pdb_rows["time"].to_numpy(np.float64), pdb_rows["desired_healthy"].to_numpy(np.float64))
    ready = counts.to_numpy(np.float64)
    marked = _in_marks(times, marks) & np.isfinite(floor)
    owned = marked & scaled_below(times, ready, floor, scale)
    judged = marked & ~owned
    aside = _aside(int(owned.sum()), deployment)
    if not judged.any():
        return skipped(name, "pdb", "no cluster/pods sample inside a fault mark" + (
            f" that the PDB governs;{aside}" if aside else ""), "replicas")
    below = judged & (ready < floor)
    lowest = float(ready[judged].min())
    threshold = float(floor[judged][np.argmin(ready[judged])])
    if not below.any():
        sentence = (f"{label}: Ready replicas of {deployment} stayed at or above the floor in all "
                    f"{int(judged.sum())} samples during faults; lowest {lowest:g} vs floor {threshold:g}.{aside}")
        return CheckResult(name, "pass", lowest, threshold, "replicas",
                           Evidence(sentence, window(times[judged], origin), (label,)), "pdb")
    first = times[below][0]
    sample = pods[(pods["time"] == first) & (owner == deployment).to_numpy()]
    down = sample[~(sample["ready"].fillna(False).astype(bool) & ~sample["terminating"].fillna(False).astype(bool))]
    objects = listed([label, *(f"{p} on {n}" for p, n in zip(down["pod"], down["node"], strict=True))])
    sentence = (f"{label}: Ready replicas of {deployment} fell below the floor in {int(below.sum())} samples during "
                f"faults, first at {fmt.offset(first - origin)}: {ready[below][0]:g} Ready < floor "
                f"{floor[below][0]:g}. Not ready or terminating then: {', '.join(down['pod']) or 'none listed'}."
                f"{aside}")
    return CheckResult(name, "fail", float(ready[below].min()), float(floor[below][0]), "replicas",
                       Evidence(sentence, window(times[below], origin), objects), "pdb")


def drain_checks(cluster: ClusterData, origin: float) -> list[CheckResult]:
    drains = cluster.records.get("drains")
    if drains is None:
        reason = cluster.reason("chaos/drains.jsonl")
        return [skipped("pdb.denials", "pdb", reason, "denials"), skipped("pdb.drains", "pdb", reason)]
    denials = [d for report in drains for d in report.get("denials") or []]
    budgets = sorted({m.group(1) for d in denials if (m := _BUDGET.search(str(d.get("message", ""))))})
    sentence = (f"{len(denials)} eviction(s) denied by a PDB (429) over {len(drains)} drain(s)"
                + (f"; budgets: {', '.join(budgets)}." if budgets else "."))
    counted = CheckResult("pdb.denials", "pass", len(denials), None, "denials",
                          Evidence(sentence, window([d.get("time") for d in denials], origin),
                                   listed(sorted({str(d.get("pod")) for d in denials}))), "pdb")
    stuck = [r for r in drains if r.get("status") == "stuck"]
    if not stuck:
        sentence = f"All {len(drains)} drain(s) completed: " + "; ".join(str(r.get("summary", "")) for r in drains)
        span = window([r.get("started") for r in drains] + [r.get("ended") for r in drains], origin)
        return [counted, CheckResult("pdb.drains", "pass", 0, 0, "stuck drains", Evidence(sentence, span), "pdb")]
    objects, lines = [], []
    for report in stuck:
        nodes = [str(n) for n in report.get("nodes") or []]
        last = (report.get("denials") or [{}])[-1].get("message") or "pods did not go away"
        budget = _BUDGET.search(str(last))
        objects += [f"node {n}" for n in nodes] + ([f"PDB {budget.group(1)}"] if budget else [])
        left = ", ".join(report.get("remaining") or []) or "?"
        lines.append(f"drain of {', '.join(nodes)} stuck (pods left: {left});"
                     f" blocked by: {last}")
    span = window([r.get("started") for r in stuck] + [r.get("ended") for r in stuck], origin)
    sentence = f"{len(stuck)} of {len(drains)} drain(s) never completed: " + " | ".join(lines)
    return [counted, CheckResult("pdb.drains", "fail", len(stuck), 0, "stuck drains",
                                 Evidence(sentence, span, listed(objects)), "pdb")]


def _scale(deployments: pd.DataFrame | None, name: str) -> pd.DataFrame | None:
    """The cluster/deployments rows of `name` (its owner-set scale over time), or None."""
    if deployments is None or "spec_replicas" not in deployments.columns:
        return None
    rows = deployments[deployments["name"] == name]
    return rows.sort_values("time") if len(rows) else None


def _experiment_floor(cluster: ClusterData) -> pd.DataFrame | None:
    """chaos/floor.jsonl as pdb rows (time, name, desired_healthy), or None without records."""
    rows = [r for r in cluster.records.get("floor") or []
            if isinstance(r.get("time"), int | float) and isinstance(r.get("floor"), int | float)]
    if not rows:
        return None
    return pd.DataFrame({"time": [float(r["time"]) for r in rows], "name": "no PDB",
                         "desired_healthy": [float(r["floor"]) for r in rows]}).sort_values("time")


def evaluate_pdb(cluster: ClusterData, origin: float) -> list[CheckResult]:
    results = []
    pdb, pods = cluster.frame("pdb"), cluster.frame("pods")
    experiment_floor = _experiment_floor(cluster)
    if (pdb is None or not len(pdb)) and experiment_floor is not None and pods is not None and len(pods) \
            and cluster.marks is not None and len(cluster.marks):
        deployments = cluster.frame("deployments")
        names = sorted(set(deployments["name"])) if deployments is not None else []
        if len(names) == 1:
            owner = deployment_of_pods(pods, cluster.frame("replicasets"), names)
            label = f"no PDB (the experiment's floor min_ready {experiment_floor['desired_healthy'].iloc[-1]:g})"
            results.append(floor_check("pdb.floor", experiment_floor, pods, owner, names[0], cluster.marks, origin,
                                       label, _scale(deployments, names[0])))
        else:
            results.append(skipped("pdb.floor", "pdb", "no PDB, and the experiment floor cannot be mapped to one "
                                   "deployment"))
    elif pdb is None or pods is None or not len(pdb) or not len(pods):
        results.append(skipped("pdb.floor", "pdb", cluster.reason("cluster/pdb.parquet", "cluster/pods.parquet")))
    elif cluster.marks is None or not len(cluster.marks):
        results.append(skipped("pdb.floor", "pdb", "no fault marks (chaos/marks.parquet): no disruption to judge"))
    else:
        deployments = cluster.frame("deployments")
        names = sorted(set(deployments["name"])) if deployments is not None else []
        owner = deployment_of_pods(pods, cluster.frame("replicasets"), names)
        groups = {str(n): g.sort_values("time") for n, g in pdb.groupby("name")}
        for name, rows in groups.items():
            check = "pdb.floor" if len(groups) == 1 else f"pdb.floor[{name}]"
            target = _target(name, names)
            if target is None:
                results.append(skipped(check, "pdb", f"cannot tell which deployment PDB {name} covers"))
                continue
            results.append(floor_check(check, rows, pods, owner, target, cluster.marks, origin,
                                       scale=_scale(deployments, target)))
    return results + drain_checks(cluster, origin)


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_pdb(ctx.cluster, ctx.origin)


CHECKS = (Check(50, "pdb", check, cluster=True, sampled=True),)
