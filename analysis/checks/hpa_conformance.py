"""`hpa.conformance`: the observed HPA path against an independent replay of upstream's algorithm with the HPA's
own spec (analysis/hpa_replay; docs/hpa.md). FAILS on any deviation, too fast or too slow, each named with its
time, expected vs observed count and reason; skipped when nothing could be judged.

Settings from manifest.json `target`: hpa_sync_period_s, hpa_tolerance, hpa_cpu_initialization_period_s,
hpa_initial_readiness_delay_s, hpa_downscale_stabilization_s (upstream's defaults when absent); the metrics'
lag allowed is the window the PodMetrics report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis import fmt
from analysis.checks.kube import skipped, window
from analysis.checks.result import CheckResult, Evidence, Verdict
from analysis.cluster import ClusterData
from analysis.hpa_replay import ReplayInput, ReplayResult, ReplaySettings, replay
from analysis.hpa_replay.frames import ControllerSettings, build_inputs

__all__ = ["Replayed", "controller_settings", "evaluate_conformance", "replayed", "settings_of"]

MAX_LISTED = 50


@dataclass(frozen=True)
class Replayed:
    """One HPA (or a stretch of constant spec) with its replay."""

    inputs: ReplayInput
    result: ReplayResult


def _target(manifest: dict[str, Any]) -> dict[str, Any]:
    target = manifest.get("target")
    return target if isinstance(target, dict) else {}


def _number(target: dict[str, Any], key: str, default: float) -> float:
    value = target.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def settings_of(manifest: dict[str, Any], cluster: ClusterData) -> ReplaySettings:
    target = _target(manifest)
    sync = _number(target, "hpa_sync_period_s", 15.0)
    metrics = cluster.frame("pod_metrics")
    lag = float(metrics["window"].median()) if metrics is not None and metrics["window"].notna().any() else sync
    return ReplaySettings(sync, _number(target, "hpa_tolerance", 0.1),
                          _number(target, "hpa_downscale_stabilization_s", 300.0), lag)


def controller_settings(manifest: dict[str, Any]) -> ControllerSettings:
    target = _target(manifest)
    return ControllerSettings(_number(target, "hpa_cpu_initialization_period_s", 300.0),
                              _number(target, "hpa_initial_readiness_delay_s", 30.0))


def replayed(manifest: dict[str, Any], cluster: ClusterData, behavior_override: Any = None) -> list[Replayed]:
    """Every HPA stretch of the run with its replay (`behavior_override`: replay with that spec instead)."""
    settings = settings_of(manifest, cluster)
    out = []
    for inp in build_inputs(cluster, controller_settings(manifest)):
        if behavior_override is not None:
            inp = behavior_override(inp)
        out.append(Replayed(inp, replay(inp, settings)))
    return out


def path_text(desired: np.ndarray) -> str:
    """The distinct desired counts in order, e.g. "3 -> 7 -> 14 -> 20 -> 18 -> ... -> 3"."""
    values = desired[np.isfinite(desired)].astype(int)
    if not len(values):
        return "n/a"
    steps = values[np.concatenate([[True], values[1:] != values[:-1]])]
    shown = [str(v) for v in steps]
    if len(shown) > 14:
        shown = [*shown[:8], "...", *shown[-4:]]
    return " -> ".join(shown)


def deviation_rows(results: list[ReplayResult], origin: float) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        for d in r.deviations:
            rows.append({"hpa": r.name, "time_s": round(d.time - origin, 1), "kind": d.kind,
                         "direction": d.direction, "expected": d.expected, "observed": d.observed,
                         "current": d.current, "reason": d.reason, "duration_s": round(d.duration_s, 1)})
    return rows


def _sentence(name: str, results: list[ReplayResult], rows: list[dict[str, Any]], origin: float) -> str:
    samples = sum(len(r.time) for r in results)
    judged = sum(int(r.judged.sum()) for r in results)
    desired = np.concatenate([r.desired for r in results])
    head = (f"HPA {name}: {judged} of {samples} samples replayed against upstream's algorithm with the HPA's own "
            f"spec; observed path {path_text(desired)}")
    if not rows:
        return head + ": no deviation (the deviations table is empty)."
    first = rows[0]
    bound = "at most" if first["expected"] < first["observed"] else "at least"
    kind = first["kind"].replace("_", " ")
    return (head + f": {len(rows)} deviation(s); first at {fmt.offset(first['time_s'])}: {kind} "
            f"scale-{first['direction']}, expected {bound} {first['expected']}, observed {first['observed']} "
            f"(from {first['current']}): {first['reason']}.")


def evaluate_conformance(run_manifest: dict[str, Any], cluster: ClusterData, origin: float) -> list[CheckResult]:
    hpa = cluster.frame("hpa")
    if hpa is None or not len(hpa):
        return [skipped("hpa.conformance", "hpa", cluster.reason("cluster/hpa.parquet"))]
    by_name: dict[str, list[ReplayResult]] = {}
    for item in replayed(run_manifest, cluster):
        by_name.setdefault(item.result.name, []).append(item.result)
    many = len(by_name) > 1
    out = []
    for name, results in by_name.items():
        check = f"hpa.conformance[{name}]" if many else "hpa.conformance"
        if not any(r.judged.any() for r in results):
            notes = "; ".join(n for r in results for n in r.notes) or "no sample had a usable metric"
            out.append(skipped(check, "hpa", f"nothing could be replayed for HPA {name}: {notes}"))
            continue
        rows = deviation_rows(results, origin)
        times = np.concatenate([r.time[r.judged] for r in results])
        details = {"deviations": rows[:MAX_LISTED], "notes": [n for r in results for n in r.notes],
                   "path": path_text(np.concatenate([r.desired for r in results]))}
        verdict: Verdict = "fail" if rows else "pass"
        out.append(CheckResult(check, verdict, len(rows), 0, "deviations",
                               Evidence(_sentence(name, results, rows, origin), window(times, origin), (name,),
                                        details), "hpa"))
    return out
