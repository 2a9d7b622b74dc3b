"""Did an experiment's fault have an effect, and does the run cover it? Judged from the observed data.

The experiment records what it meant to change (`chaos/effects.jsonl`: a `baseline` record before the fault and
an `effect` record after it, see docs/run-directory.md); this module checks that against what the observer saw
(`cluster/pods.parquet`, `cluster/nodes.parquet`, `cluster/hpa.parquet`) and the load recorded
(`streams.parquet`), never trusting the experiment's own verdict:

  pods-replaced, all-pods-replaced, long-stream-pods-terminated
      the targeted pods (baseline pods seen terminating or gone after the baseline; every baseline pod; the
      pods the experiment deleted) were seen terminating or gone, are absent at the end, and as many new pods
      (all-pods-replaced: spec.replicas) were seen Ready
  nodes-drained, zone-drained
      every targeted node (the drained nodes; every node of the zone) was seen cordoned, and its baseline pods
      gone and (nodes-drained only) replaced by Ready pods, unless the drain was refused by a PodDisruptionBudget
      (denials recorded); a zone's replacements may rightly stay Pending (zone spread DoNotSchedule)
  zone-failed
      every node of the zone was seen NotReady (or cordoned) and every baseline pod there not Ready or gone
  hpa-load
      the HPA's CPU utilization rose above its target x 1.1, or it wanted more than minReplicas

then that the observer and the load kept going for the experiment's `tail` after the effect was complete (the
last replacement Ready). States: `proven`; `none` (the fault had no effect); `uncovered` (the run stopped
before the effect was complete plus the tail); `unrecovered` (the effect began but never completed within the
experiment's timeout: a finding, not a no-op); `unrecorded` (no effect record).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.kube import listed
from analysis.cluster import ClusterData

SLACK_S = 2.0  # one observer interval plus rounding: how much earlier than the tail's end the run may stop
POD_EFFECTS = ("pods-replaced", "all-pods-replaced", "long-stream-pods-terminated")
NODE_EFFECTS = ("nodes-drained", "zone-drained", "zone-failed")
HOW = ("add the probes experiments.afchaos.effects.probes.record_workload before the fault and fault_took_effect "
       "after it")


@dataclass(frozen=True)
class Effect:
    state: str  # proven | none | uncovered | unrecovered | unrecorded
    sentence: str
    objects: tuple[str, ...] = ()
    window: tuple[float, float] | None = None  # epoch seconds


def _records(cluster: ClusterData, start: float, end: float) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The last baseline and effect records written inside the experiment's [start, end]."""
    rows = [r for r in cluster.records.get("effects") or []
            if isinstance(r.get("time"), int | float) and start - 1.0 <= float(r["time"]) <= end + 1.0]
    bases = [r for r in rows if r.get("record") == "baseline"]
    effects = [r for r in rows if r.get("record") == "effect"]
    return (bases[-1] if bases else None), (effects[-1] if effects else None)


def judge_effect(cluster: ClusterData, start: float, end: float, origin: float) -> Effect:
    """The effect of the experiment that ran in [start, end] (epoch seconds)."""
    base, effect = _records(cluster, start, end)
    if base is None or effect is None:
        missing = "no baseline and no effect record" if base is None and effect is None else (
            "no baseline record" if base is None else "no effect record (fault_took_effect did not run)")
        return Effect("unrecorded", f"the fault had no effect that the run can show: chaos/effects.jsonl has "
                                    f"{missing} for this experiment; {HOW}")
    kind = str(effect.get("effect"))
    if effect.get("status") == "dry-run":
        return Effect("none", "the fault had no effect: it ran as a dry run (AFSUITE_DRY_RUN), nothing changed")
    if kind == "hpa-load":
        return _hpa_load(cluster, start, end)
    pods, nodes = cluster.frame("pods"), cluster.frame("nodes")
    if pods is None or (kind in NODE_EFFECTS and nodes is None):
        return Effect("uncovered", "the fault's effect cannot be shown: " + cluster.reason(
            "cluster/pods.parquet", "cluster/nodes.parquet"))
    if kind not in POD_EFFECTS + NODE_EFFECTS:
        return Effect("unrecorded", f"the fault had no effect that the run can show: unknown effect {kind!r}")
    return PodsAndNodes(cluster, base, effect, origin, end).judge()


class PodsAndNodes:
    """The pod and node effects, judged on the observer's samples from the baseline to the experiment's end (a
    campaign's later experiments must not count); the coverage check looks at the whole observation."""

    def __init__(self, cluster: ClusterData, base: dict[str, Any], effect: dict[str, Any], origin: float,
                 end: float) -> None:
        self.cluster, self.effect, self.origin = cluster, effect, origin
        self.kind = str(effect["effect"])
        self.t0 = float(base["time"])
        self.base_pods = {str(p["pod"]): p for p in base.get("pods") or []}
        self.replicas = base.get("replicas")
        pods = cluster.frame("pods")
        assert pods is not None
        frames = [f for f in (pods, cluster.frame("nodes")) if f is not None and len(f)]
        self.last = float(max(f["time"].max() for f in frames)) if frames else self.t0  # the observer's end
        self.until = min(end + SLACK_S, self.last)
        self.pods = pods[(pods["time"] > self.t0) & (pods["time"] <= self.until)]
        inside = [f.loc[f["time"] <= self.until, "time"].max() for f in frames]
        self.seen_until = float(max(inside)) if inside else self.t0  # the last sample inside the experiment
        self.last_seen = self.pods.groupby("pod")["time"].max() if len(self.pods) else pd.Series(dtype=float)

    def at(self, t: float) -> str:
        return fmt.offset(t - self.origin)

    def _gone(self, pod: str) -> bool:
        return pod not in self.last_seen.index or float(self.last_seen[pod]) < self.seen_until

    def _touched(self, pod: str) -> bool:
        rows = self.pods[self.pods["pod"] == pod]
        return self._gone(pod) or bool(rows["terminating"].fillna(False).any())

    def targets(self) -> tuple[list[str], list[str]]:
        """(pods, nodes) the fault was to change, from the baseline, the records and the observed nodes."""
        if self.kind == "pods-replaced":
            return sorted(p for p in self.base_pods if self._touched(p)), []
        if self.kind == "all-pods-replaced":
            return sorted(self.base_pods), []
        if self.kind == "long-stream-pods-terminated":
            return sorted(str(p) for p in self.effect.get("target_pods") or []), []
        nodes = sorted(str(n) for n in self.effect.get("target_nodes") or [])
        frame = self.cluster.frame("nodes")
        zone = self.effect.get("zone")
        if self.kind != "nodes-drained" and zone is not None and frame is not None:
            nodes = sorted(set(nodes) | set(frame.loc[frame["zone"] == zone, "node"].astype(str)))
        return sorted(p for p, row in self.base_pods.items() if row.get("node") in nodes), nodes

    def _affected_at(self, nodes: list[str]) -> dict[str, float]:
        """node -> first sample after the baseline at which the fault's mark was on it."""
        frame = self.cluster.frame("nodes")
        assert frame is not None
        later = frame[(frame["time"] > self.t0) & (frame["time"] <= self.until) & frame["node"].isin(nodes)]
        hit = later["unschedulable"].fillna(False).astype(bool)
        if self.kind == "zone-failed":
            hit |= later["ready"].astype(object).ne("True")
        return later[hit].groupby("node")["time"].min().to_dict()

    def _replacements(self) -> pd.Series:
        """New pods (not in the baseline) -> first sample at which they were Ready, sorted by that time."""
        new = self.pods[~self.pods["pod"].isin(list(self.base_pods))]
        ready = new[new["ready"].fillna(False).astype(bool) & ~new["terminating"].fillna(False).astype(bool)]
        return ready.groupby("pod")["time"].min().sort_values()

    def judge(self) -> Effect:
        pods, nodes = self.targets()
        touched = [p for p in pods if self._touched(p)]
        affected = self._affected_at(nodes) if nodes else {}
        if self.kind in NODE_EFFECTS:
            missing = [n for n in nodes if n not in affected]
            if not nodes or missing:
                what = "cordoned" if self.kind != "zone-failed" else "NotReady or cordoned"
                where = f" of zone {self.effect.get('zone')}" if self.kind != "nodes-drained" else ""
                text = (f"node(s) {', '.join(listed(missing, 6))}{where} never seen {what} in cluster/nodes.parquet"
                        if nodes else "no node was drained (no drain record)")
                return Effect("none", f"the fault had no effect: {text}", listed(missing or []))
        elif not touched:
            seen = ", ".join(listed(sorted(self.base_pods), 6)) or "none"
            return Effect("none", "the fault had no effect: no pod of the baseline was seen terminating or gone "
                                  f"in cluster/pods.parquet after {self.at(self.t0)} (baseline: {seen})")
        return self._completion(pods, nodes, affected)

    def _completion(self, pods: list[str], nodes: list[str], affected: dict[str, float]) -> Effect:
        times = [*affected.values()]
        refused = self.kind in ("nodes-drained", "zone-drained") and bool(self.effect.get("refused"))
        parts = [f"node(s) {', '.join(listed(nodes, 6))} affected by {self.at(max(times))}"] if nodes else []
        if self.kind == "zone-failed":
            done = self._zone_pods_down(pods)
            if done is None:
                return self._short(f"workload pod(s) in the zone still Ready at the end: {', '.join(pods)}")
            times.append(done)
            parts.append(f"pod(s) there out of service by {self.at(done)}" if pods else "no workload pod there")
        elif refused:
            parts.append("evictions refused by the PodDisruptionBudget (drain recorded as stuck)")
        else:
            left = [p for p in pods if not self._gone(p)]
            if left:
                return self._short(f"pod(s) {', '.join(left)} still present at the experiment's last sample "
                                   f"({self.at(self.seen_until)})")
            needed = 0 if self.kind == "zone-drained" else len(pods)
            if self.kind == "all-pods-replaced" and isinstance(self.replicas, int):
                needed = min(needed, self.replicas)
            ready = self._replacements()
            if len(ready) < needed:
                return self._short(f"{len(ready)} of {needed} replacement pod(s) seen Ready")
            if not pods:
                parts.append("no workload pod on them")
            else:
                gone_at = max(float(self.last_seen.get(p, self.t0)) for p in pods)
                times.append(gone_at)
                parts.append(f"pod(s) {', '.join(listed(pods, 6))} gone (last seen {self.at(gone_at)})")
            if pods and needed:
                ready_at = float(ready.iloc[needed - 1])
                times.append(ready_at)
                parts.append(f"replaced by {', '.join(listed(list(ready.index[:needed]), 6))} Ready by "
                             f"{self.at(ready_at)}")
        return self._covered(max(times), parts, listed([*nodes, *pods]))

    def _zone_pods_down(self, pods: list[str]) -> float | None:
        """When every baseline pod of the zone was first seen not Ready (or gone); None if one never was."""
        out = self.t0
        for pod in pods:
            rows = self.pods[self.pods["pod"] == pod]
            down = rows.loc[~rows["ready"].fillna(False).astype(bool), "time"]
            if len(down):
                out = max(out, float(down.min()))
            elif self._gone(pod):
                out = max(out, float(self.last_seen.get(pod, self.t0)))
            else:
                return None
        return out

    def _short(self, what: str) -> Effect:
        """The effect began but is not complete in the observed data."""
        if self.effect.get("status") == "timeout":
            return Effect("unrecovered", f"the fault took effect but its effect never completed within the "
                                         f"experiment's timeout: {what}")
        return Effect("uncovered", f"the fault's effect is not complete in the observed data: {what}")

    def _covered(self, done: float, parts: list[str], objects: tuple[str, ...]) -> Effect:
        tail = float(self.effect.get("tail") or 0.0)
        need = done + tail - SLACK_S
        streams = self.cluster.streams
        load_end = float(streams["end"].max()) if streams is not None and len(streams) else np.nan
        gaps = []
        if self.last < need:
            gaps.append(f"the observer stopped at {self.at(self.last)}")
        if not np.isfinite(load_end) or load_end < need:
            gaps.append(f"the load stopped at {self.at(load_end) if np.isfinite(load_end) else 'n/a (no streams)'}")
        summary = "; ".join(parts)
        if gaps:
            return Effect("uncovered", f"the fault's effect is not covered by the run: {summary}; complete at "
                                       f"{self.at(done)}, but {' and '.join(gaps)}, before the {tail:g} s tail "
                                       f"ended ({self.at(done + tail)})", objects)
        return Effect("proven", f"the fault took effect ({self.kind}): {summary}; observed with load for the "
                                f"{tail:g} s tail after {self.at(done)}", objects, (self.t0, done + tail))


def _hpa_load(cluster: ClusterData, start: float, end: float) -> Effect:
    hpa = cluster.frame("hpa")
    if hpa is None or not len(hpa):
        return Effect("uncovered", "the load's effect cannot be shown: " + cluster.reason("cluster/hpa.parquet"))
    rows = hpa[(hpa["time"] >= start) & (hpa["time"] <= end)]
    wanted = rows[rows["desired_replicas"] > rows["min_replicas"]]
    peak, target = np.nan, np.nan
    if {"cpu_utilization", "cpu_target"} <= set(rows.columns) and rows["cpu_target"].notna().any():
        peak, target = float(rows["cpu_utilization"].max()), float(rows["cpu_target"].dropna().iloc[-1])
    over = np.isfinite(peak) and peak > target * 1.1
    cpu = f"CPU peak {peak:.0f} % against a target of {target:.0f} %" if np.isfinite(peak) else "no CPU metric"
    if over or len(wanted):
        most = int(rows["desired_replicas"].max()) if len(rows) else 0
        return Effect("proven", f"the load took effect: {cpu}; the HPA wanted up to {most} replica(s)",
                      window=(start, end))
    floor = int(rows["min_replicas"].max()) if len(rows) else 0
    return Effect("none", f"the fault had no effect: the load never raised the HPA's CPU above its target x 1.1 "
                          f"({cpu}) and the HPA never wanted more than minReplicas {floor}")
