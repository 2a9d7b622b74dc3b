"""Checks: each yields a CheckResult (verdict pass | fail | invalid | skipped, measured, threshold, evidence).

`evaluate` runs the validity gate first; when the run is INVALID every SLO verdict becomes invalid too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis import fmt
from analysis.checks.config import ProfileError, SloConfig, ValidityConfig, parse_slos, parse_validity
from analysis.checks.result import EXIT_CODES, CheckResult, Evidence, Verdict, overall_verdict
from analysis.checks.slo import error_rate, evaluate_slos, plan
from analysis.checks.slo import groupings as slo_groupings
from analysis.checks.validity import evaluate_validity
from analysis.latency import Grouping, LatencyTables, latency_quantiles, whole_run
from analysis.rundir import RunData

__all__ = [
    "EXIT_CODES",
    "CheckResult",
    "Evidence",
    "ProfileError",
    "SloConfig",
    "ValidityConfig",
    "Verdict",
    "evaluate",
    "judge",
    "overall_verdict",
    "parse_slos",
    "parse_validity",
]


def evaluate(
    run: RunData, slos: SloConfig, validity: ValidityConfig, tables: LatencyTables
) -> list[CheckResult]:
    """Validity checks, then SLO checks (invalidated with the reason when the gate did not hold)."""
    gate = evaluate_validity(run, validity, tables)
    results = evaluate_slos(run, slos, tables)
    invalid = [r for r in gate if r.verdict == "invalid"]
    if invalid:
        reason = "; ".join(invalid_reason(r) for r in invalid)
        results = [r.invalidated(reason) for r in results]
    return gate + results


def judge(
    run: RunData, extra_groupings: Sequence[Grouping] = ()
) -> tuple[list[CheckResult], LatencyTables, SloConfig]:
    """Parse the profile, compute the latency tables the checks need (plus `extra_groupings`) and judge."""
    slos = parse_slos(run.profile)
    validity = parse_validity(run.profile)
    groupings = [whole_run(len(run.streams)), *extra_groupings, *slo_groupings(run, plan(slos))]
    tables = latency_quantiles(run, groupings)
    return evaluate(run, slos, validity, tables), tables, slos


def rejudge_error_rates(run: RunData, checks: list[CheckResult], slos: SloConfig,
                        excused: np.ndarray) -> list[CheckResult]:
    """The error-rate SLO checks again with `excused` streams (hard-fault casualties, known only once the
    cluster files are read) set aside; an INVALID check stays as it was (an invalid run judges no SLO)."""
    fresh = {item.name: error_rate(run, item, excused) for item in plan(slos) if item.key == "error_rate"}
    return [fresh[c.name] if c.name in fresh and c.verdict != "invalid" else c for c in checks]


def invalid_reason(result: CheckResult) -> str:
    """A short reason for an INVALID gate, e.g. "validity.loadgen_cpu 97.0 % > limit 90.0 %"."""
    if result.name == "validity.streams":
        return "validity.streams: no streams were recorded"
    if result.name == "validity.auth":
        return "validity.auth: the API key was refused"
    measured = fmt.value(result.measured, result.unit)
    return f"{result.name} {measured} > limit {fmt.value(result.threshold, result.unit)}"
