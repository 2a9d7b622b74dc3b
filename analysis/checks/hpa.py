"""HPA checks from cluster/hpa.parquet (+ deployments, pods, load/stages.parquet). Thresholds come from the
HPA's own spec (`behavior` JSON, min/max) with the upstream defaults when `behavior` is absent.

  hpa.bounds              every sample: min_replicas <= desired_replicas <= max_replicas and current <= max
  hpa.policy              every change of desired_replicas stays within the behavior's policies: the limit of a
                          policy is counted from desired at the start of its period (the sample at
                          t - periodSeconds, one sample interval lenient): up start + Pods or
                          ceil(start * (1 + Percent/100)), down start - Pods or floor(start * (1 - Percent/100));
                          selectPolicy Max takes the largest allowed change, Min the smallest, Disabled none;
                          a change whose periods meet a sample with the target at 0 replicas is not judged
                          (upstream disables autoscaling there: ScalingActive False, ScalingDisabled)
  hpa.scale_up_reaction   for every load step (a stage of kind step/spike whose users/rate exceed the previous
                          stage's; a steady stage with more load is not a scale-up demand): time from
                          the stage start to the first desired_replicas increase; bound = scaleUp stabilization
                          + upstream e2e budget 100 s (with the 15 s sync replaced by the sync period) + 50 s
  hpa.scale_up_ready      from the step to Ready replicas (deployment `ready`) >= that first new desired; same bound
  hpa.scale_down_stabilization  for every load drop: no desired decrease earlier than the scaleDown
                          stabilization window minus one sync period after the drop
  hpa.flapping            direction changes of desired_replicas <= direction changes of the load + 1
  capacity.unschedulable  no pod Pending with an unschedulable reason for longer than unschedulable_grace_s
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.hpa_freshness import lasting_windows, overlapping
from analysis.checks.kube import ClusterConfig, asof, listed, parse_json, skipped, window
from analysis.checks.result import CheckResult, Evidence, Verdict
from analysis.cluster import ClusterData

DEFAULT_UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
              "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15},
                           {"type": "Pods", "value": 4, "periodSeconds": 15}]}
DEFAULT_DOWN = {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
E2E_BUDGET_S, E2E_SYNC_S, LOADGEN_S = 100.0, 15.0, 50.0
SCALE_UP_KINDS = ("step", "spike")  # stages the profile marks as meant to make the HPA scale up


def behavior(raw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(scaleUp, scaleDown) rules with upstream defaults filled in."""
    spec = parse_json(raw, "cluster/hpa.parquet column behavior")
    spec = spec if isinstance(spec, dict) else {}
    return {**DEFAULT_UP, **(spec.get("scaleUp") or {})}, {**DEFAULT_DOWN, **(spec.get("scaleDown") or {})}


def allowed(rule: dict[str, Any], starts: list[int], up: bool) -> float:
    """The replicas a change may reach under `rule`, given desired at the start of each policy's period."""
    select = rule.get("selectPolicy", "Max")
    if select == "Disabled" or not rule.get("policies"):
        return float(starts[0]) if starts else math.nan
    limits = []
    for policy, start in zip(rule["policies"], starts, strict=True):
        value = float(policy.get("value", 0))
        if policy.get("type") == "Pods":
            limits.append(start + value if up else start - value)
        else:
            limits.append(math.ceil(start * (1 + value / 100)) if up else math.floor(start * (1 - value / 100)))
    most = max(limits) if up else min(limits)
    least = min(limits) if up else max(limits)
    return float(most if select == "Max" else least)


def _series(hpa: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(n): g.sort_values("time", kind="stable").reset_index(drop=True) for n, g in hpa.groupby("name")}


def _name(base: str, hpa: str, many: bool) -> str:
    return f"{base}[{hpa}]" if many else base


def bounds(name: str, s: pd.DataFrame, origin: float) -> CheckResult:
    # desiredReplicas 0 with minReplicas >= 1 is an HPA that has not computed a recommendation yet (its metrics
    # were not available: upstream keeps the initial 0 then), not a scale outside its bounds.
    s = s[~((s["desired_replicas"] == 0) & (s["min_replicas"] >= 1))]
    if not len(s):
        return skipped(name, "hpa", "the HPA never computed a recommendation (desiredReplicas stayed 0)")
    d, c = s["desired_replicas"], s["current_replicas"]
    bad = (d < s["min_replicas"]) | (d > s["max_replicas"]) | (c > s["max_replicas"])
    lo, hi = int(s["min_replicas"].iloc[-1]), int(s["max_replicas"].iloc[-1])
    if bad.any():
        first = s[bad].iloc[0]
        sentence = (f"HPA {s['name'].iloc[0]}: replicas outside [{lo}, {hi}] in {int(bad.sum())} samples, first at "
                    f"{fmt.offset(first['time'] - origin)} (desired {first['desired_replicas']}, current "
                    f"{first['current_replicas']}).")
        return CheckResult(name, "fail", float(d[bad].iloc[0]), hi, "replicas",
                           Evidence(sentence, window(s.loc[bad, "time"], origin), (str(s["name"].iloc[0]),)), "hpa")
    sentence = (f"HPA {s['name'].iloc[0]}: desired {int(d.min())}..{int(d.max())} within [{lo}, {hi}] in all "
                f"{len(s)} samples.")
    return CheckResult(name, "pass", float(d.max()), hi, "replicas",
                       Evidence(sentence, window(s["time"], origin), (str(s["name"].iloc[0]),)), "hpa")


def policy(name: str, s: pd.DataFrame, origin: float) -> CheckResult:
    t, d = s["time"].to_numpy(np.float64), s["desired_replicas"].to_numpy(np.float64)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    up_rule, down_rule = behavior(s["behavior"].iloc[-1])
    # upstream disables autoscaling while the target is at 0 replicas (minReplicas >= 1): desired is then 0 and
    # no policy applies, nor to whoever scales it back; a change whose periods meet such a sample is not judged
    disabled = ((s["current_replicas"] == 0) & (s["min_replicas"] >= 1)).to_numpy()
    violations, events, exempt = [], 0, 0
    for i in np.flatnonzero(np.diff(d)) + 1:
        up = d[i] > d[i - 1]
        rule = up_rule if up else down_rule
        longest = max([float(p.get("periodSeconds", 15)) for p in rule.get("policies") or []], default=0.0)
        if disabled[i] or disabled[i - 1] or disabled[(t >= t[i] - longest) & (t <= t[i])].any():
            exempt += 1
            continue
        starts = []
        for p in rule.get("policies") or []:
            at = asof(np.array([t[i] - float(p.get("periodSeconds", 15)) + step]), t, d)[0]
            starts.append(int(d[0] if not np.isfinite(at) else at))
        limit = allowed(rule, starts, up)
        events += 1
        if (up and d[i] > limit) or (not up and d[i] < limit):
            violations.append((t[i], d[i - 1], d[i], limit, "scaleUp" if up else "scaleDown"))
    hpa = str(s["name"].iloc[0])
    aside = (f" {exempt} change(s) while scaling was disabled (target at 0 replicas) are not the policies' to "
             "judge." if exempt else "")
    if not events:
        return CheckResult(name, "pass", 0, None, "changes", Evidence(
            f"HPA {hpa}: desired replicas never changed ({int(d[0])}); no policy to check." if not exempt else
            f"HPA {hpa}: no change to judge.{aside}"), "hpa")
    if violations:
        t0, before, after, limit, direction = violations[0]
        sentence = (f"HPA {hpa}: {len(violations)} of {events} scale events exceed the {direction} policies, first at "
                    f"{fmt.offset(t0 - origin)}: {int(before)} -> {int(after)} replicas, allowed {limit:g} "
                    f"(behavior {s['behavior'].iloc[-1] or 'default'}).{aside}")
        return CheckResult(name, "fail", len(violations), 0, "violations",
                           Evidence(sentence, window([v[0] for v in violations], origin), (hpa,)), "hpa")
    sentence = f"HPA {hpa}: all {events} scale events within the behavior's policies.{aside}"
    return CheckResult(name, "pass", 0, 0, "violations", Evidence(sentence, window(t, origin), (hpa,)), "hpa")


def load_changes(stages: pd.DataFrame | None) -> list[tuple[float, float, float, str]]:
    """(stage start, previous load, new load, stage kind) for every stage whose users/rate differ from the
    previous stage's."""
    if stages is None or not len(stages):
        return []
    st = stages.sort_values("start", kind="stable")
    load = st["users"].astype("float64").where(st["users"].notna(), st["rate"].astype("float64")).to_numpy()
    starts, kinds = st["start"].to_numpy(np.float64), st["kind"].astype(object).to_numpy()
    return [(float(starts[i]), float(load[i - 1]), float(load[i]), str(kinds[i])) for i in range(1, len(st))
            if np.isfinite(load[i - 1]) and np.isfinite(load[i]) and load[i] != load[i - 1]]


def _ready_series(cluster: ClusterData, hpa: str) -> pd.DataFrame | None:
    deployments = cluster.frame("deployments")
    if deployments is None or not len(deployments):
        return None
    names = set(deployments["name"])
    target = hpa if hpa in names else (next(iter(names)) if len(names) == 1 else None)
    return None if target is None else deployments[deployments["name"] == target].sort_values("time")


def _not_due(s: pd.DataFrame, start: float, bound: float, tolerance: float = 0.1,
             ready: pd.DataFrame | None = None, sync_period: float = 0.0) -> str | None:
    """Why no scale-up was due after a load step, or None when one was due or it cannot be told (no
    `cpu_target` column in older runs, other metrics).

    Due, as upstream's replica calculator decides it: CPU utilization above target x (1 + tolerance) while every
    current replica was Ready (upstream counts unready and missing pods as 0 % on a scale-up, so a spike while a
    pod is being replaced need not move it), seen at two HPA syncs at least one sync period apart (one sample
    at the edge of the tolerance is noise, not a demand)."""
    if "cpu_target" not in s.columns or "cpu_utilization" not in s.columns:
        return None
    target = s["cpu_target"].dropna()
    if not len(target):
        return None
    window = s[(s["time"] >= start) & (s["time"] <= start + bound)]
    window = window[window["cpu_utilization"].notna()]
    peak = float(window["cpu_utilization"].max()) if len(window) else math.nan
    limit = float(target.iloc[-1]) * (1 + tolerance)
    over = window[window["cpu_utilization"] > limit]
    if ready is not None and len(ready) and "current_replicas" in over.columns and len(over):
        ready_then = asof(over["time"].to_numpy(np.float64), ready["time"].to_numpy(np.float64),
                          ready["ready"].to_numpy(np.float64))
        over = over[~(ready_then < over["current_replicas"].to_numpy(np.float64))]
    times = over["time"].to_numpy(np.float64)
    if len(times) and (sync_period <= 0 or times.max() - times.min() >= sync_period):
        return None
    shown = f"{peak:.0f} %" if math.isfinite(peak) else "n/a"
    if len(times):
        return (f"CPU utilization above the target {float(target.iloc[-1]):.0f} % + tolerance with all replicas "
                f"Ready at only one HPA sync (peak {shown})")
    return (f"CPU utilization never above the target {float(target.iloc[-1]):.0f} % + tolerance with all replicas "
            f"Ready (peak {shown})")


def reaction(names: tuple[str, str], s: pd.DataFrame, cluster: ClusterData, steps: list, config: ClusterConfig,
             origin: float) -> list[CheckResult]:
    up_rule, _ = behavior(s["behavior"].iloc[-1])
    bound = float(up_rule.get("stabilizationWindowSeconds") or 0) + E2E_BUDGET_S - E2E_SYNC_S \
        + config.hpa_sync_period_s + LOADGEN_S
    hpa = str(s["name"].iloc[0])
    t, d = s["time"].to_numpy(np.float64), s["desired_replicas"].to_numpy(np.float64)
    ready = _ready_series(cluster, hpa)
    react, to_ready, lines, bad = [], [], [], []
    stale = lasting_windows(cluster, config.hpa_sync_period_s)  # stale metrics hide the demand: judged as due
    for start, prev, new, _ in steps:
        before = asof(np.array([start]), t, d)[0]
        if not np.isfinite(before):
            before = d[0]
        idle = _not_due(s, start, bound, ready=ready, sync_period=config.hpa_sync_period_s)
        rose = bool(((t > start) & (t <= start + bound) & (d > before)).any())  # then the HPA itself found it due
        late = overlapping(stale, start, start + bound)
        if late:
            lines.append(f"step at {fmt.offset(start - origin)}: the HPA's metrics were stale in "
                         + "; ".join(w.describe(origin) for w in late[:3]))
        if idle is not None and not rose and not late:
            lines.append(f"step at {fmt.offset(start - origin)} ({prev:g} -> {new:g}): no scale-up due ({idle})")
            continue
        if before >= float(s["max_replicas"].iloc[-1]):
            lines.append(f"step at {fmt.offset(start - origin)} ({prev:g} -> {new:g}): already at max")
            continue
        later = np.flatnonzero((t > start) & (d > before))
        if not len(later):
            react.append(math.inf)
            to_ready.append(math.inf)
            lines.append(f"step at {fmt.offset(start - origin)} ({prev:g} -> {new:g}): desired never rose above "
                         f"{int(before)}")
            bad.append(start)
            continue
        when, target = t[later[0]], d[later[0]]
        react.append(when - start)
        ready_at = math.inf
        if ready is not None:
            hit = ready[(ready["time"] >= when) & (ready["ready"] >= target)]
            ready_at = float(hit["time"].iloc[0]) - start if len(hit) else math.inf
        to_ready.append(ready_at)
        lines.append(f"step at {fmt.offset(start - origin)} ({prev:g} -> {new:g}): desired {int(before)} -> "
                     f"{int(target)} after {fmt.seconds(when - start)}, Ready {int(target)} after "
                     f"{fmt.seconds(ready_at)}")
    results = []
    for name, values, what in ((names[0], react, "first desired_replicas increase"),
                               (names[1], to_ready, "Ready replicas reaching the new desired count")):
        if not values:
            why = "; ".join(lines) or "every load step started with the HPA at max_replicas"
            results.append(skipped(name, "hpa", f"no load step called for a scale-up: {why}", "s", bound))
            continue
        worst = max(values)
        verdict: Verdict = "pass" if worst <= bound else "fail"
        if what.startswith("Ready") and ready is None:
            results.append(skipped(name, "hpa", cluster.reason("cluster/deployments.parquet"), "s", bound))
            continue
        sentence = (f"HPA {hpa}: slowest {what} after a load step {fmt.seconds(worst)} (bound {fmt.seconds(bound)} = "
                    f"scaleUp stabilization + {E2E_BUDGET_S - E2E_SYNC_S:g} s + sync {config.hpa_sync_period_s:g} s + "
                    f"{LOADGEN_S:g} s load generator): {verdict.upper()}. " + "; ".join(lines) + ".")
        span = window([step[0] for step in steps], origin)
        results.append(CheckResult(name, verdict, worst if math.isfinite(worst) else None, bound, "s",
                                   Evidence(sentence, span, (hpa,), {"steps": lines}), "hpa"))
    return results


def _last_wanted(s: pd.DataFrame, replicas: float, until: float, sync: float) -> float | None:
    """When the HPA last computed a CPU recommendation (upstream's ceil(current x utilization / target), the
    current count within the 0.1 tolerance) that still asked for `replicas` or more, before `until`: the first
    sample of the last such status, at most one sync period `sync` earlier. None without CPU columns or such a
    sample. A lower bound: other metrics (memory) may have asked for more."""
    if "cpu_utilization" not in s.columns or "cpu_target" not in s.columns:
        return None
    rows = s[(s["time"] < until) & s["cpu_utilization"].notna() & (s["cpu_target"] > 0)]
    current = rows["current_replicas"].to_numpy(np.float64)
    ratio = rows["cpu_utilization"].to_numpy(np.float64) / rows["cpu_target"].to_numpy(np.float64)
    recommended = np.where(np.abs(ratio - 1.0) <= 0.1, current, np.ceil(current * ratio))
    hits = np.flatnonzero(recommended >= replicas)
    if not len(hits):
        return None
    last, times = int(hits[-1]), rows["time"].to_numpy(np.float64)
    i = last
    while i > 0 and ratio[i - 1] == ratio[i] and current[i - 1] == current[i] and times[last] - times[i - 1] <= sync:
        i -= 1  # the same HPA status seen again: it was computed when first seen
    return float(times[i])


def scale_down(name: str, s: pd.DataFrame, drops: list, config: ClusterConfig, origin: float) -> CheckResult:
    """The window runs from the load drop, or from the last moment the HPA's CPU recommendation still asked for
    the replicas it then removed when that came earlier (the load fell short of the target before the drop:
    upstream's window counts from the last high recommendation, not from the load)."""
    _, down_rule = behavior(s["behavior"].iloc[-1])
    stabilization = float(down_rule.get("stabilizationWindowSeconds") or 0)
    earliest = max(0.0, stabilization - config.hpa_sync_period_s)
    t, d = s["time"].to_numpy(np.float64), s["desired_replicas"].to_numpy(np.float64)
    hpa, early, lines, firsts = str(s["name"].iloc[0]), [], [], []
    for start, prev, new, _ in drops:
        before = asof(np.array([start]), t, d)[0]
        later = np.flatnonzero((t > start) & (d < (before if np.isfinite(before) else d[0])))
        if not len(later):
            lines.append(f"drop at {fmt.offset(start - origin)} ({prev:g} -> {new:g}): no scale-down observed")
            continue
        wanted = _last_wanted(s, before if np.isfinite(before) else d[0], start, config.hpa_sync_period_s)
        anchor = start if wanted is None or wanted >= start else wanted
        after = t[later[0]] - anchor
        firsts.append(after)
        since = "" if anchor == start else (f" after the HPA's CPU recommendation last asked for {before:g} "
                                            f"replicas at {fmt.offset(anchor - origin)}")
        lines.append(f"drop at {fmt.offset(start - origin)} ({prev:g} -> {new:g}): first scale-down "
                     f"{fmt.seconds(t[later[0]] - start)} after it, {fmt.seconds(after)}{since or ' after the drop'}")
        if after < earliest:
            early.append(start)
    measured = min(firsts) if firsts else None
    verdict: Verdict = "fail" if early else "pass"
    sentence = (f"HPA {hpa}: scale-down stabilization window {stabilization:g} s; no scale-down may come earlier "
                f"than {fmt.seconds(earliest)} after a load drop (one sync period lenient): {verdict.upper()}. "
                + "; ".join(lines) + ".")
    return CheckResult(name, verdict, measured, earliest, "s",
                       Evidence(sentence, window([x[0] for x in drops], origin), (hpa,), {"drops": lines}), "hpa")


def flapping(name: str, s: pd.DataFrame, changes: list, origin: float) -> CheckResult:
    diffs = np.diff(s["desired_replicas"].to_numpy(np.float64))
    signs = np.sign(diffs[diffs != 0])
    flips = int((np.diff(signs) != 0).sum()) if len(signs) > 1 else 0
    load_signs = np.sign([c[2] - c[1] for c in changes])
    allowed_flips = (int((np.diff(load_signs) != 0).sum()) if len(load_signs) > 1 else 0) + 1
    verdict: Verdict = "pass" if flips <= allowed_flips else "fail"
    sentence = (f"HPA {s['name'].iloc[0]}: desired replicas changed direction {flips} time(s) over {len(signs)} "
                f"changes (allowed {allowed_flips}: load direction changes + 1): {verdict.upper()}.")
    return CheckResult(name, verdict, flips, allowed_flips, "direction changes",
                       Evidence(sentence, window(s["time"], origin), (str(s["name"].iloc[0]),)), "hpa")


def capacity(cluster: ClusterData, config: ClusterConfig, origin: float) -> CheckResult:
    name = "capacity.unschedulable"
    pods = cluster.frame("pods")
    if pods is None:
        return skipped(name, "capacity", cluster.reason("cluster/pods.parquet"), "s", config.unschedulable_grace_s)
    pending = pods[(pods["phase"] == "Pending") & pods["unschedulable_reason"].notna()]
    if not len(pending):
        return CheckResult(name, "pass", 0.0, config.unschedulable_grace_s, "s", Evidence(
            "No pod was Pending with an unschedulable reason."), "capacity")
    spans = pending.groupby("pod")["time"].agg(["min", "max"])
    spans["for"] = spans["max"] - spans["min"]
    worst = float(spans["for"].max())
    reasons = pending.drop_duplicates("pod").set_index("pod")["unschedulable_reason"]
    stuck = spans[spans["for"] > config.unschedulable_grace_s]
    verdict: Verdict = "fail" if len(stuck) else "pass"
    objects = listed([f"{p}: {reasons[p]}" for p in spans.sort_values("for", ascending=False).index])
    sentence = (f"{len(spans)} pod(s) Pending as unschedulable, the longest for {fmt.seconds(worst)} (grace "
                f"{fmt.seconds(config.unschedulable_grace_s)}): {verdict.upper()} - a capacity finding (the cluster "
                "could not place the replicas asked for).")
    return CheckResult(name, verdict, worst, config.unschedulable_grace_s, "s",
                       Evidence(sentence, window(pending["time"], origin), objects), "capacity")


def evaluate_hpa(cluster: ClusterData, stages: pd.DataFrame | None, config: ClusterConfig,
                 origin: float) -> list[CheckResult]:
    hpa = cluster.frame("hpa")
    if hpa is None or not len(hpa):
        reason = cluster.reason("cluster/hpa.parquet")
        return [skipped("hpa.scaling", "hpa", reason), capacity(cluster, config, origin)]
    series = _series(hpa)
    many = len(series) > 1
    changes = load_changes(stages)
    steps = [c for c in changes if c[2] > c[1] and c[3] in SCALE_UP_KINDS]
    drops = [c for c in changes if c[2] < c[1]]
    results: list[CheckResult] = []
    for name, s in series.items():
        results += [bounds(_name("hpa.bounds", name, many), s, origin),
                    policy(_name("hpa.policy", name, many), s, origin)]
        names = (_name("hpa.scale_up_reaction", name, many), _name("hpa.scale_up_ready", name, many))
        if steps:
            results += reaction(names, s, cluster, steps, config, origin)
        else:
            why = ("no stage of kind step/spike raises the load in load/stages.parquet" if stages is not None
                   else "load/stages.parquet not found")
            results += [skipped(n, "hpa", why) for n in names]
        down = _name("hpa.scale_down_stabilization", name, many)
        results.append(scale_down(down, s, drops, config, origin) if drops else skipped(down, "hpa", "no load drop"))
        results.append(flapping(_name("hpa.flapping", name, many), s, changes, origin))
    return [*results, capacity(cluster, config, origin)]


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_hpa(ctx.cluster, ctx.run.stages, ctx.config, ctx.origin)


CHECKS = (Check(40, "hpa", check, cluster=True, sampled=True),)
