"""Every cluster and chaos check of a run, in report order (phases, recovery, HPA, PDB, placement, survival,
readiness, observer coverage, experiments). A pure load run (no cluster/ and no chaos/ output) gets none of them.

Phase and recovery checks judge SLOs, so an INVALID run invalidates them like the SLO checks; the others judge
the cluster's behaviour and keep their verdicts.
"""

from __future__ import annotations

import math

from analysis.checks.alerts import evaluate_alerts
from analysis.checks.config import SloConfig
from analysis.checks.coverage import Coverage, apply, coverage_check
from analysis.checks.experiments import evaluate_experiments
from analysis.checks.hard_faults import Casualties, evaluate_collateral
from analysis.checks.hpa import evaluate_hpa
from analysis.checks.hpa_replay_checks import evaluate_hpa_replay
from analysis.checks.kube import parse_cluster_config
from analysis.checks.new_connections import evaluate_new_connections
from analysis.checks.pdb import evaluate_pdb
from analysis.checks.phases import evaluate_phases
from analysis.checks.placement import evaluate_placement
from analysis.checks.readiness import evaluate_readiness
from analysis.checks.result import CheckResult
from analysis.checks.survival import evaluate_survival
from analysis.checks.survival_by_length import evaluate_survival_by_length
from analysis.cluster import ClusterData
from analysis.rundir import RunData

SLO_KINDS = ("phase", "recovery")


def run_end(run: RunData, cluster: ClusterData) -> float:
    ended = run.manifest.get("ended")
    if isinstance(ended, int | float) and math.isfinite(ended):
        return float(ended)
    s = cluster.streams
    if s is not None and len(s) and s["end"].notna().any():
        return float(s["end"].max())
    return run.origin


def evaluate_cluster(run: RunData, cluster: ClusterData, slos: SloConfig,
                     invalid_reason: str | None = None, casualties: Casualties | None = None,
                     coverage: Coverage | None = None, failed_in_outage: int = 0) -> list[CheckResult]:
    """Every cluster/chaos check; with `coverage` (what the observer did not see) the sample-based checks that
    met a blind window are INCOMPLETE and `cluster.coverage` says so (analysis/checks/coverage.py)."""
    if not cluster.present:
        return []
    config = parse_cluster_config(run.manifest)
    origin = run.origin
    casualties = casualties or Casualties()
    excused = None if cluster.streams is None else casualties.excused(len(cluster.streams))
    phases = evaluate_phases(cluster, slos, config, origin, run_end(run, cluster), excused)
    if invalid_reason:
        phases = [c if c.verdict == "skipped" else c.invalidated(invalid_reason) for c in phases]
    sampled = [
        *evaluate_hpa(cluster, run.stages, config, origin),
        *evaluate_hpa_replay(run.manifest, cluster, config, origin),
        *evaluate_pdb(cluster, origin),
        *evaluate_placement(cluster, origin),
        *evaluate_collateral(cluster, casualties, origin),
        *evaluate_survival(cluster, origin),
        *evaluate_survival_by_length(cluster, origin),
        *evaluate_readiness(cluster, config, origin),
        *evaluate_new_connections(cluster, origin),
    ]
    extra: list[CheckResult] = []
    if coverage is not None:
        sampled = apply(sampled, coverage, origin, origin, run_end(run, cluster))
        extra.append(coverage_check(coverage, origin, failed_in_outage))
    return [*phases, *sampled, *extra, *evaluate_experiments(cluster, run.manifest, origin),
            *evaluate_alerts(cluster, origin)]
