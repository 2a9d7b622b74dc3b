"""Everything a report shows, computed once from a loaded run (`analyse`): the verdicts of the pipeline
(`analysis.pipeline`) and the metrics around them. `analysis/report/` only renders an `Analysis`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.checks.goodput import good_mask, goodput
from analysis.checks.result import EXIT_CODES, CheckResult, overall_verdict
from analysis.cluster import ClusterData
from analysis.labels import counts
from analysis.latency import METRICS, LatencyTables
from analysis.pipeline import verdicts
from analysis.rundir import RunData
from analysis.runstatus import RunStatus
from analysis.schema import OUTCOMES
from analysis.windows import (
    WINDOW_S,
    effective_width,
    errors_by_outcome,
    per_stage,
    per_window,
    stage_grouping,
    window_grouping,
)


@dataclass
class Analysis:
    run: RunData
    checks: list[CheckResult]
    overall: str  # a check verdict or a run status (interrupted, refused, dry-run): checks.result.Overall
    exit_code: int
    window_s: float
    windows: pd.DataFrame
    errors: pd.DataFrame
    stages: pd.DataFrame
    latency: pd.DataFrame  # index metric, columns n, weight, p50, p95, p99, max (all endpoints)
    latency_by_endpoint: pd.DataFrame  # index (endpoint, metric)
    outcomes: dict[str, int]
    goodput: dict[str, Any]
    cluster: ClusterData | None = None  # cluster/ and chaos/ files (None: not loaded)
    status: RunStatus = field(default_factory=lambda: RunStatus("completed"))

    @property
    def stage_spans(self) -> list[tuple[str, float, float]]:
        """(stage, start_s, end_s) for every stage with a known time span, in time order."""
        if "start_s" not in self.stages.columns:
            return []
        last = float(self.windows["start_s"].max() + self.window_s) if len(self.windows) else np.nan
        spans = self.stages.assign(end_s=self.stages["end_s"].fillna(last))  # a killed run never ended its stage
        spans = spans.dropna(subset=["start_s", "end_s"])
        return [(str(name), float(row.start_s), float(row.end_s)) for name, row in spans.iterrows()]

    @property
    def mark_spans(self) -> list[tuple[str, float, float]]:
        """(activity, start_s, end_s) of every fault mark (chaos/marks.parquet), in time order; a mark its
        experiment declared an intended outage or error injection (analysis/checks/outage.py) is labelled so."""
        marks = self.cluster.marks if self.cluster is not None else None
        if marks is None or not len(marks):
            return []
        origin = self.run.origin
        intended = marks["intended"] if "intended" in marks.columns else pd.Series(None, index=marks.index)
        label = {"outage": " (declared outage)", "errors": " (declared error injection)"}
        return [(f"{a}{label.get(str(i), '')}", float(s - origin), float((e if np.isfinite(e) else s) - origin))
                for a, s, e, i in zip(marks["activity"], marks["start"], marks["end"], intended, strict=True)]


def _outcomes(run: RunData) -> dict[str, int]:
    tally = counts(run.streams["outcome"])
    ordered = {o: tally.get(o, 0) for o in OUTCOMES}
    ordered.update({k: v for k, v in tally.items() if k not in ordered})
    return ordered


def _metric_frame(tables: LatencyTables, grouping: str) -> pd.DataFrame:
    frames = {m: tables.get(m, grouping) for m in METRICS if (m, grouping) in tables.tables}
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, names=["metric"])
    if grouping == "all":
        return frame.droplevel(1)
    return frame.swaplevel(0, 1).sort_index(level=0, sort_remaining=False)


def analyse(run: RunData, window_s: float = WINDOW_S) -> Analysis:
    """Run the verdict pipeline (``analysis.pipeline``) and compute the metrics the report shows."""
    window_s = effective_width(run, window_s)
    result = verdicts(run, [window_grouping(run, window_s), stage_grouping(run)])
    tables, slos, cluster, status = result.tables, result.slos, result.cluster, result.status
    overall = overall_verdict(result.checks, status.state if status.decides else None)
    good = good_mask(run, slos)
    errors = errors_by_outcome(run, window_s)
    by_endpoint = _metric_frame(tables, "endpoint")
    if len(by_endpoint):
        by_endpoint = by_endpoint[by_endpoint["n"] > 0]
    return Analysis(
        run=run,
        checks=result.checks,
        overall=overall,
        exit_code=EXIT_CODES[overall],
        window_s=window_s,
        windows=per_window(run, tables, window_s, good, errors),
        errors=errors,
        stages=per_stage(run, tables),
        latency=_metric_frame(tables, "all"),
        latency_by_endpoint=by_endpoint,
        outcomes=_outcomes(run),
        goodput=goodput(run, slos, good),
        cluster=cluster if cluster.present else None,
        status=status,
    )


def error_rate(analysis: Analysis) -> float | None:
    total = sum(analysis.outcomes.values())
    return None if not total else (total - analysis.outcomes.get("ok", 0)) / total


def finite(value: Any) -> bool:
    return isinstance(value, int | float | np.floating | np.integer) and bool(np.isfinite(value))
