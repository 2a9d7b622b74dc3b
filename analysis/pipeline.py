"""The verdict pipeline: load once, derive, find the casualties, then run one ordered list of checks.

1. The profile's thresholds are parsed (``rundir.thresholds``, via ``analysis.checks.config``) and the latency
   tables every check and the report need are computed in one pass over the streams (``analysis.latency``).
2. The cluster and chaos files are read once (``analysis.cluster``), the streams lost to hard faults are found
   (``checks.hard_faults``) and, with the observer's coverage, those in flight during an API outage are added.
3. Every check declared in a ``CHECKS`` tuple of a module of ``analysis/checks/`` runs in its ``order`` with the
   same :class:`~analysis.checks.context.CheckContext` (which also holds the results before it, so the SLO and
   phase checks can be invalidated by the validity gate). Checks that need the cluster's files run only when the
   run has them; those judged from observer samples become INCOMPLETE where the observer was blind.
4. An SLO check that failed on streams in flight during an API outage is INCOMPLETE; a dry run's checks are
   those of its plan.

``report/`` only renders what this returns (``analysis.verdict.analyse`` adds the report's metrics).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import analysis.checks
from analysis.checks.config import ClusterConfig, SloConfig, parse_cluster_config, parse_slos, parse_validity
from analysis.checks.context import Check, CheckContext
from analysis.checks.coverage import apply, apply_outages, observe, outage_mask
from analysis.checks.dryrun import dry_run_checks
from analysis.checks.hard_faults import Casualties, find_casualties
from analysis.checks.result import CheckResult
from analysis.checks.slo import groupings as slo_groupings
from analysis.checks.slo import plan
from analysis.cluster import ClusterData, load_cluster
from analysis.latency import Grouping, LatencyTables, latency_quantiles, whole_run
from analysis.rundir import RunData
from analysis.runstatus import RunStatus, run_status


@dataclass
class Verdicts:
    """The ordered check results of one run, with what the report shows besides them."""

    checks: list[CheckResult]
    tables: LatencyTables
    slos: SloConfig
    cluster: ClusterData
    status: RunStatus


@functools.cache
def registered_checks() -> tuple[Check, ...]:
    """Every ``CHECKS`` entry of the modules of ``analysis/checks/``, in report order (found when first asked,
    never at import time); a duplicated order or name is an error."""
    found: list[Check] = []
    for module in pkgutil.iter_modules(analysis.checks.__path__, "analysis.checks."):
        found += getattr(importlib.import_module(module.name), "CHECKS", ())
    ordered = tuple(sorted(found, key=lambda c: c.order))
    for attr in ("order", "name"):
        values = [getattr(c, attr) for c in ordered]
        duplicates = sorted({str(v) for v in values if values.count(v) > 1})
        if duplicates:
            raise RuntimeError(f"analysis/checks: two checks declare the same {attr}: {duplicates}")
    return ordered


def load_context(run: RunData, extra_groupings: Sequence[Grouping] = ()) -> CheckContext:
    """Thresholds and latency tables (the load only: no cluster file is read)."""
    slos = parse_slos(run.profile)
    validity = parse_validity(run.profile)
    groupings = [whole_run(len(run.streams)), *extra_groupings, *slo_groupings(run, plan(slos))]
    return CheckContext(run, slos, validity, latency_quantiles(run, groupings))


def run_checks(ctx: CheckContext, checks: Sequence[Check]) -> list[CheckResult]:
    """Run ``checks`` in order over ``ctx`` (cluster checks only when the run has cluster output)."""
    ctx.results = []
    for check in checks:
        if check.cluster and not ctx.has_cluster:
            continue
        results = check.run(ctx)
        if check.sampled and ctx.coverage is not None:
            results = apply(results, ctx.coverage, ctx.origin, ctx.origin, ctx.end)
        ctx.results = [*ctx.results, *results]
    return ctx.results


def judge(run: RunData, extra_groupings: Sequence[Grouping] = ()) -> tuple[list[CheckResult], LatencyTables,
                                                                           SloConfig]:
    """The load's own checks (validity and SLOs), without reading any cluster file."""
    ctx = load_context(run, extra_groupings)
    return run_checks(ctx, [c for c in registered_checks() if not c.cluster]), ctx.tables, ctx.slos


def _with_cluster(ctx: CheckContext) -> CheckContext:
    """Read cluster/ and chaos/ once; set the casualties (hard faults, API outages) and the coverage."""
    run = ctx.run
    ctx.cluster = load_cluster(run.run_dir, loaded_streams=run.streams)
    casualties = find_casualties(ctx.cluster)
    if ctx.cluster.present:
        ctx.config = parse_cluster_config(run.manifest)
        ctx.coverage = observe(ctx.cluster, run.origin, ctx.end)
        outage = outage_mask(ctx.coverage, ctx.cluster.streams)
        if outage is not None:  # the cluster's failures, set aside like a hard fault's casualties
            ctx.failed_in_outage = int(outage.sum())
            base = casualties.mask if len(casualties.mask) == len(outage) else np.zeros(len(outage), dtype=bool)
            casualties = Casualties(casualties.faults, base | outage)
    else:
        ctx.config = ClusterConfig()
    ctx.casualties = casualties
    return ctx


def verdicts(run: RunData, extra_groupings: Sequence[Grouping] = ()) -> Verdicts:
    """Every check of the run, in report order."""
    ctx = _with_cluster(load_context(run, extra_groupings))
    checks = run_checks(ctx, registered_checks())
    if ctx.coverage is not None:
        checks = apply_outages(checks, ctx.coverage, run.origin)
    status = run_status(run.manifest)
    if status.state == "dry-run":
        checks = dry_run_checks(run.run_dir)
    assert ctx.cluster is not None
    return Verdicts(checks, ctx.tables, ctx.slos, ctx.cluster, status)
