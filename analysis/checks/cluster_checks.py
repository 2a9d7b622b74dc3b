"""Every cluster and chaos check of a run, in report order (phases, recovery, HPA, PDB, placement, survival,
readiness, experiments). A pure load run (no cluster/ and no chaos/ output) gets none of them.

Phase and recovery checks judge SLOs, so an INVALID run invalidates them like the SLO checks; the others judge
the cluster's behaviour and keep their verdicts.
"""

from __future__ import annotations

import math

from analysis.checks.config import SloConfig
from analysis.checks.experiments import evaluate_experiments
from analysis.checks.hard_faults import Casualties, evaluate_collateral
from analysis.checks.hpa import evaluate_hpa
from analysis.checks.kube import parse_cluster_config
from analysis.checks.new_connections import evaluate_new_connections
from analysis.checks.pdb import evaluate_pdb
from analysis.checks.phases import evaluate_phases
from analysis.checks.placement import evaluate_placement
from analysis.checks.readiness import evaluate_readiness
from analysis.checks.result import CheckResult
from analysis.checks.survival import evaluate_survival
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
                     invalid_reason: str | None = None, casualties: Casualties | None = None) -> list[CheckResult]:
    if not cluster.present:
        return []
    config = parse_cluster_config(run.manifest)
    origin = run.origin
    casualties = casualties or Casualties()
    excused = None if cluster.streams is None else casualties.excused(len(cluster.streams))
    phases = evaluate_phases(cluster, slos, config, origin, run_end(run, cluster), excused)
    if invalid_reason:
        phases = [c if c.verdict == "skipped" else c.invalidated(invalid_reason) for c in phases]
    return [
        *phases,
        *evaluate_hpa(cluster, run.stages, config, origin),
        *evaluate_pdb(cluster, origin),
        *evaluate_placement(cluster, origin),
        *evaluate_collateral(cluster, casualties, origin),
        *evaluate_survival(cluster, origin),
        *evaluate_readiness(cluster, config, origin),
        *evaluate_new_connections(cluster, origin),
        *evaluate_experiments(cluster, run.manifest, origin),
    ]
