"""hpa.conformance, hpa.expected_behavior and hpa.metrics_freshness on a real run's cluster samples (the fixture is
`afsuite campaign hpa-range` on the fast local cluster, good variant: 3 -> 7 -> 14 -> 20 -> ... -> 5), and on
copies of it changed the way a faulty controller, another HPA spec or a stuck metrics pipeline would change it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.checks.hpa_conformance import evaluate_conformance
from analysis.checks.hpa_expected import evaluate_expected
from analysis.checks.hpa_freshness import evaluate_freshness, stale_windows
from analysis.checks.kube import ClusterConfig
from analysis.cluster import ClusterData, load_cluster
from analysis.report.tables import scale_rows

FIXTURE = Path(__file__).parent / "fixtures" / "hpa-range-good"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())
CONFIG = ClusterConfig(hpa_sync_period_s=3.0)


@pytest.fixture(scope="module")
def good() -> ClusterData:
    return load_cluster(FIXTURE, with_streams=False)


def origin() -> float:
    return float(MANIFEST["started"])


def with_hpa(cluster: ClusterData, change) -> ClusterData:
    hpa = cluster.frame("hpa").sort_values("time").reset_index(drop=True).copy()
    change(hpa, hpa["time"].to_numpy() - hpa["time"].min())
    return replace(cluster, frames={**cluster.frames, "hpa": hpa})


def test_the_real_run_conforms_with_an_empty_deviations_table(good):
    [check] = evaluate_conformance(MANIFEST, good, origin())
    assert check.verdict == "pass", check.evidence.sentence
    assert check.evidence.details["deviations"] == []
    assert check.evidence.details["path"].startswith("0 -> 3 -> 7 -> 14 -> 20 -> 18")


def first_status(hpa, t, desired: int) -> int:
    return int(np.flatnonzero(hpa["desired_replicas"].to_numpy() == desired)[0])


def test_a_scale_down_faster_than_the_policy_is_too_fast(good):
    def change(hpa, t):
        i = first_status(hpa, t, 18)  # 20 -> 18 (10 % of 20) becomes 20 -> 10
        same = (hpa.index >= i) & (hpa["desired_replicas"] == 18) & (hpa["current_replicas"] == 20)
        hpa.loc[same, "desired_replicas"] = 10

    [check] = evaluate_conformance(MANIFEST, with_hpa(good, change), origin())
    assert check.verdict == "fail"
    first = check.evidence.details["deviations"][0]
    assert (first["kind"], first["direction"], first["expected"], first["observed"]) == ("too_fast", "down", 18, 10)
    assert "10 % per 12 s" in first["reason"] and "policies" in first["reason"]


def test_a_scale_up_that_does_not_come_is_too_slow(good):
    """The HPA stays at 3 for 20 s after its metrics asked for more (no new pods were made meanwhile)."""
    def change(hpa, t):
        start = first_status(hpa, t, 7)
        held = (hpa.index >= start) & (t <= t[start] + 20)
        hpa.loc[held, ["current_replicas", "desired_replicas"]] = 3
        return float(hpa["time"].iloc[start]), float(hpa["time"].iloc[start]) + 20

    hpa = good.frame("hpa").sort_values("time").reset_index(drop=True).copy()
    first, last = change(hpa, hpa["time"].to_numpy() - hpa["time"].min())
    pods = good.frame("pods")
    old = set(pods.loc[pods["time"] < first, "pod"])
    pods = pods[~((pods["time"] >= first) & (pods["time"] <= last) & ~pods["pod"].isin(old))]
    changed = replace(good, frames={**good.frames, "hpa": hpa, "pods": pods})
    [check] = evaluate_conformance(MANIFEST, changed, origin())
    assert check.verdict == "fail"
    slow = [d for d in check.evidence.details["deviations"] if d["kind"] == "too_slow"]
    assert slow and slow[0]["direction"] == "up" and slow[0]["observed"] == 3 and slow[0]["expected"] == 7, slow
    assert "the metrics asked for at least" in slow[0]["reason"] and "policies allowed 7" in slow[0]["reason"]


def _expecting(**spec) -> dict:
    metrics = [{"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 70}}},
               {"type": "Resource", "resource": {"name": "memory", "target": {"averageUtilization": 80}}}]
    return {**MANIFEST, "target": {**MANIFEST["target"], "hpa_expected": {
        "minReplicas": 3, "maxReplicas": 20, "metrics": metrics, **spec}}}


def test_expected_behavior_passes_on_production_settings_and_fails_on_another_expectation(good):
    [check] = evaluate_expected(MANIFEST, good, origin())
    assert check.verdict == "pass", check.evidence.sentence
    assert "windows and periods / 5" in check.evidence.sentence
    slower = _expecting(behavior={"scaleDown": {"stabilizationWindowSeconds": 300, "policies": [
        {"type": "Pods", "value": 1, "periodSeconds": 60}]}})
    [check] = evaluate_expected(slower, good, origin())
    assert check.verdict == "fail"
    diffs = check.evidence.details["spec_differences"]
    assert diffs == ["scale-down 10 % per 12 s after a 60 s window, expected 1 pod per 12 s after a 60 s window"]
    first = check.evidence.details["deviations"][0]
    assert (first["kind"], first["direction"], first["current"], first["observed"], first["expected"]) == \
        ("too_fast", "down", 20, 18, 19)
    assert "scale-down rate 16 -> 14 (-12 %)" in check.evidence.sentence  # the worst step, against the rule
    assert "is faster than the expected 1 pod per 12 s after a 60 s window" in check.evidence.sentence
    [check] = evaluate_expected(_expecting(maxReplicas=10), good, origin())
    assert check.verdict == "fail" and "replicas 3..20, expected 3..10" in check.evidence.details["spec_differences"]


def test_no_behavior_is_caught_by_spec_and_by_its_scale_down_rate(good):
    """The hpa-no-behavior variant's path: after the window it drops 20 -> 3 at once."""
    def change(hpa, t):
        hpa["behavior"] = None
        drop = first_status(hpa, t, 18)
        after = hpa.index >= drop
        hpa.loc[after & (hpa["current_replicas"] == 20), "desired_replicas"] = 3
        hpa.loc[after & (hpa["current_replicas"] < 20), ["current_replicas", "desired_replicas"]] = 3

    changed = with_hpa(good, change)
    [check] = evaluate_expected(MANIFEST, changed, origin())
    assert check.verdict == "fail"
    sentence = check.evidence.sentence
    assert "scale-down no rate limit" in sentence and "scale-down rate 20 -> 3" in sentence
    down = [d for d in check.evidence.details["deviations"] if d["direction"] == "down"]
    assert down[0]["expected"] == 18 and "10 % per 12 s" in down[0]["reason"]


def test_fresh_metrics_pass_and_a_stale_window_is_named(good):
    assert evaluate_freshness(good, CONFIG, origin()).verdict == "pass"
    metrics = good.frame("pod_metrics").copy()
    t = metrics["time"] - metrics["time"].min()
    stuck = (t >= 30) & (t <= 90)
    metrics.loc[stuck, "timestamp"] = metrics.loc[stuck, "time"] - 60.0
    stale = replace(good, frames={**good.frames, "pod_metrics": metrics})
    check = evaluate_freshness(stale, CONFIG, origin())
    assert check.verdict == "fail"
    [window] = [w for w in stale_windows(stale, 3.0) if w.end - w.start > 10]
    assert window.end - window.start == pytest.approx(60.0, abs=1.5) and window.worst_age_s == pytest.approx(60.0)
    assert "metrics up to 60 s old" in check.evidence.sentence


def test_the_run_table_shows_the_declared_scales():
    assert scale_rows(MANIFEST) == [
        ("CPU scale", "10: resource metrics = real process CPU and memory x 10 (local cluster)"),
        ("Time scale", "5: HPA windows, periods and controller timings / 5 (local cluster)")]
    real = [("CPU scale", "1 (real CPU)"), ("Time scale", "1 (real time)")]
    assert scale_rows({"target": {"name": "staging"}}) == real


def test_the_real_no_behavior_run_conforms_to_its_own_spec_and_breaks_the_expected_scale_down_rate():
    """hpa-no-behavior on the local cluster: the v1 path (max(2 x current, 4) up, the max of the window's
    recommendations, which can also scale up), then scale-downs of up to 33 % at once. Regression: samples that
    repeat a status must not pair its metrics with pods that became Ready later (phantom recommendations of 28
    and 37 made a too-slow deviation at +50 s)."""
    fixture = FIXTURE.parent / "hpa-range-no-behavior"
    manifest = json.loads((fixture / "manifest.json").read_text())
    cluster = load_cluster(fixture, with_streams=False)
    [own] = evaluate_conformance(manifest, cluster, manifest["started"])
    assert own.verdict == "pass", own.evidence.sentence
    [check] = evaluate_expected(manifest, cluster, manifest["started"])
    assert check.verdict == "fail"
    assert "scale-down no rate limit after the controller's 60 s window (no behavior)" in check.evidence.sentence
    assert "is faster than the expected 10 % per 12 s after a 60 s window" in check.evidence.sentence


def test_a_step_hidden_by_stale_metrics_is_judged_due_and_the_window_named(good):
    """The HPA saw old, low CPU for 150 s after the step and did not move: with fresh PodMetrics that is 'no
    scale-up due' (skipped); with PodMetrics 60 s old in that stretch, hpa.scale_up_reaction FAILS naming it."""
    from analysis.checks.hpa import evaluate_hpa

    stages = pd.read_parquet(FIXTURE / "load" / "stages.parquet")
    step = float(stages.loc[stages["stage"] == "step-up", "start"].iloc[0])
    hpa = good.frame("hpa").copy()
    hidden = (hpa["time"] >= step) & (hpa["time"] <= step + 150)
    hpa.loc[hidden, ["current_replicas", "desired_replicas"]] = 3
    hpa.loc[hidden, "cpu_utilization"] = 50.0
    quiet = replace(good, frames={**good.frames, "hpa": hpa})
    metrics = good.frame("pod_metrics").copy()
    old = (metrics["time"] >= step) & (metrics["time"] <= step + 150)
    metrics.loc[old, "timestamp"] = metrics.loc[old, "time"] - 60.0
    stale = replace(quiet, frames={**quiet.frames, "pod_metrics": metrics})

    def reaction(cluster):
        return next(c for c in evaluate_hpa(cluster, stages, CONFIG, origin()) if c.name == "hpa.scale_up_reaction")

    assert reaction(quiet).verdict == "skipped"
    late = reaction(stale)
    assert late.verdict == "fail", late.evidence.sentence
    assert "the HPA's metrics were stale in" in late.evidence.sentence and "metrics up to 60 s old" in \
        late.evidence.sentence
