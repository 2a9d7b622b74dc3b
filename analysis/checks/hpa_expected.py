"""`hpa.expected_behavior`: the HPA a target expects against the live one, by its spec and by its observed path.

Expected: manifest.json `target.hpa_expected` (autoscaling/v2 spec fields), else AgentFlow's production settings
(hpa_replay.spec.PRODUCTION), with every window and period divided by `target.time_factor` (the local cluster's
time scale writes its HPA that way). FAILS when
- the live spec differs: min/max replicas, a metric's target, or a scaling rule (window, policies, selectPolicy;
  no behavior at all is upstream's v1 rule: any scale-down at once after the controller's window), or
- the observed path deviates from a replay with the EXPECTED spec (e.g. a scale-down faster than 10 % per 60 s):
  each named with its time, expected vs observed count and the rate that was broken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from analysis import fmt
from analysis.checks.hpa_conformance import deviation_rows, replayed, settings_of
from analysis.checks.kube import skipped, window
from analysis.checks.result import CheckResult, Evidence, Verdict
from analysis.cluster import ClusterData
from analysis.hpa_replay import ReplayInput
from analysis.hpa_replay.spec import PRODUCTION, HpaSpec, Rules, describe_rules, parse_expected, time_scaled

__all__ = ["evaluate_expected", "expected_spec"]


def expected_spec(manifest: dict[str, Any]) -> tuple[HpaSpec, str]:
    """The expected spec (time-scaled) and where it came from."""
    target = target_raw if isinstance(target_raw := manifest.get("target"), dict) else {}
    factor = target.get("time_factor")
    factor = float(factor) if isinstance(factor, int | float) and factor > 0 else 1.0
    raw = target.get("hpa_expected")
    spec, source = (parse_expected(raw), "the target's hpa_expected") if raw is not None \
        else (PRODUCTION, "AgentFlow's production settings")
    if factor != 1.0:
        source += f", windows and periods / {factor:g} (the local cluster's time scale)"
    return time_scaled(spec, factor), source


def _rules_key(rules: Rules | None, default_window: float) -> tuple | None:
    if rules is None:
        return None
    window = default_window if rules.window_s is None else rules.window_s
    policies = tuple(sorted((p.type, p.value, p.period_s) for p in rules.policies))
    return window, rules.select, policies


def _spec_differences(inp: ReplayInput, want: HpaSpec, default_window: float) -> list[str]:
    out = []
    low, high = int(inp.min_replicas[-1]), int(inp.max_replicas[-1])
    if (low, high) != (want.min_replicas, want.max_replicas):
        out.append(f"replicas {low}..{high}, expected {want.min_replicas}..{want.max_replicas}")
    live = {(m.target.type, m.target.name): m.target for m in inp.metrics}
    for m in want.metrics:
        got = live.pop((m.type, m.name), None)
        if got is None:
            out.append(f"no {m.name} metric, expected {m.target_type} {m.target:g}")
        elif (got.target_type, got.target) != (m.target_type, m.target):
            out.append(f"{m.name} target {got.target_type} {got.target:g}, expected {m.target_type} {m.target:g}")
    out += [f"unexpected {name} metric ({t.target_type} {t.target:g})" for (_, name), t in live.items()]
    b, w = inp.behavior, want.behavior
    for side, up in (("scale-up", True), ("scale-down", False)):
        have = None if b is None else (b.up if up else b.down)
        need = None if w is None else (w.up if up else w.down)
        if _rules_key(have, default_window) != _rules_key(need, default_window):
            out.append(f"{side} {describe_rules(have, up, default_window)}, expected "
                       f"{describe_rules(need, up, default_window)}")
    return out


def _as_expected(want: HpaSpec) -> Callable[[ReplayInput], ReplayInput]:
    targets = {(m.type, m.name): m for m in want.metrics}

    def convert(inp: ReplayInput) -> ReplayInput:
        metrics = tuple(replace(m, target=targets[(m.target.type, m.target.name)]) for m in inp.metrics
                        if (m.target.type, m.target.name) in targets)
        n = len(inp.time)
        return replace(inp, behavior=want.behavior, metrics=metrics,
                       min_replicas=np.full(n, float(want.min_replicas)),
                       max_replicas=np.full(n, float(want.max_replicas)))

    return convert


def _change(row: dict[str, Any]) -> float:
    return (row["observed"] - row["current"]) / row["current"] * 100 if row["current"] else 0.0


def _rate(row: dict[str, Any]) -> str:
    return (f"scale-{row['direction']} rate {row['current']} -> {row['observed']} ({_change(row):+.0f} %) at "
            f"{fmt.offset(row['time_s'])}")


def _rates(rows: list[dict[str, Any]], want: HpaSpec, default_window: float) -> list[str]:
    """One sentence per direction moved too fast: the worst observed step against the expected rule."""
    out = []
    for up in (False, True):
        fast = [r for r in rows if r["kind"] == "too_fast" and (r["direction"] == "up") == up]
        if not fast:
            continue
        worst = max(fast, key=lambda r: abs(_change(r)))
        rules = None if want.behavior is None else (want.behavior.up if up else want.behavior.down)
        bound = "at most" if up else "at least"
        out.append(f"{_rate(worst)} is faster than the expected {describe_rules(rules, up, default_window)} "
                   f"({bound} {worst['expected']} there: {worst['reason']}; {len(fast)} such step(s))")
    return out


def evaluate_expected(manifest: dict[str, Any], cluster: ClusterData, origin: float) -> list[CheckResult]:
    name = "hpa.expected_behavior"
    hpa = cluster.frame("hpa")
    if hpa is None or not len(hpa):
        return [skipped(name, "hpa", cluster.reason("cluster/hpa.parquet"))]
    try:
        want, source = expected_spec(manifest)
    except ValueError as exc:
        return [skipped(name, "hpa", f"manifest.json target.hpa_expected: {exc}")]
    default_window = settings_of(manifest, cluster).downscale_stabilization_s
    live = replayed(manifest, cluster)
    names = sorted({item.inputs.name for item in live})
    out = []
    for hpa_name in names:
        check = f"{name}[{hpa_name}]" if len(names) > 1 else name
        mine = [item for item in live if item.inputs.name == hpa_name]
        diffs = list(dict.fromkeys(d for item in mine for d in _spec_differences(item.inputs, want, default_window)))
        results = [item.result for item in replayed(manifest, cluster, _as_expected(want))
                   if item.inputs.name == hpa_name]
        rows = deviation_rows(results, origin)
        head = f"HPA {hpa_name} against {source}"
        if not diffs and not rows:
            sentence = f"{head}: the live spec matches and the observed path follows it (no deviation)."
        else:
            parts = []
            if diffs:
                parts.append("the live spec differs: " + "; ".join(diffs))
            if rows:
                rates = _rates(rows, want, default_window)
                shown = "; ".join(rates) or "; ".join(f"{_rate(r)}: {r['reason']}" for r in rows[:3])
                parts.append(f"the observed path breaks the expected behavior {len(rows)} time(s): {shown}")
            sentence = f"{head}: " + ". ".join(parts) + "."
        times = np.concatenate([r.time for r in results]) if results else np.zeros(0)
        verdict: Verdict = "fail" if diffs or rows else "pass"
        out.append(CheckResult(check, verdict, len(diffs) + len(rows), 0, "differences",
                               Evidence(sentence, window(times, origin), (hpa_name,),
                                        {"spec_differences": diffs, "deviations": rows[:50]}), "hpa"))
    return out
