"""SLO checks: error rate and latency percentiles, globally and per endpoint (overrides).

Each stream is judged once per SLO key: a per-endpoint override takes that endpoint's streams out of the
global check (named `slo.<key>`) into its own check (`slo.<key>[<endpoint>]`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.config import SLO_KEYS, SloConfig
from analysis.checks.context import Check, CheckContext
from analysis.checks.result import CheckResult, Evidence, Verdict
from analysis.exemplars import StreamLookup
from analysis.labels import counts, label_codes, mask_in
from analysis.latency import Grouping, LatencyTables, by_column, by_mask, is_ok, stream_metric
from analysis.rundir import RunData

METRIC_NAMES = {"ttft": "TTFT", "itl": "ITL (pooled)", "tpot": "TPOT", "e2e": "E2E"}
EXEMPLARS = 3


@dataclass(frozen=True)
class Scope:
    """The streams a check covers: one endpoint, or every endpoint except the excluded ones."""

    endpoint: str | None = None
    excluded: frozenset[str] = frozenset()

    @property
    def grouping(self) -> str:
        if self.endpoint is not None:
            return "endpoint"
        return "all" if not self.excluded else "all-but:" + ",".join(sorted(self.excluded))

    @property
    def label(self) -> str:
        return self.endpoint if self.endpoint is not None else ("all" if not self.excluded else "selected")

    def describe(self) -> str:
        if self.endpoint is not None:
            return f"endpoint {self.endpoint}"
        if self.excluded:
            return "all endpoints except " + ", ".join(sorted(self.excluded))
        return "all endpoints"

    def mask(self, run: RunData) -> np.ndarray:
        endpoint = run.streams["endpoint"]
        if self.endpoint is not None:
            return mask_in(endpoint, [self.endpoint])
        return ~mask_in(endpoint, self.excluded)


@dataclass(frozen=True)
class PlannedSlo:
    name: str
    key: str
    threshold: float
    scope: Scope


def plan(config: SloConfig) -> list[PlannedSlo]:
    """Every (key, scope) the configuration asks for, in a stable order."""
    planned = []
    per_endpoint = config.endpoint_thresholds
    for key in SLO_KEYS:
        overriding = frozenset(e for e, d in per_endpoint.items() if key in d)
        if key in config.thresholds:
            planned.append(PlannedSlo(f"slo.{key}", key, config.thresholds[key], Scope(None, overriding)))
        for endpoint in sorted(overriding):
            threshold = per_endpoint[endpoint][key]
            planned.append(PlannedSlo(f"slo.{key}[{endpoint}]", key, threshold, Scope(endpoint)))
    return planned


def groupings(run: RunData, planned: list[PlannedSlo]) -> list[Grouping]:
    """The groupings the latency checks read (besides "all", which the caller always computes)."""
    result = [by_column("endpoint", run.streams["endpoint"])]
    for scope in {p.scope for p in planned if p.scope.endpoint is None and p.scope.excluded}:
        result.append(by_mask(scope.grouping, scope.mask(run), scope.label))
    return result


def _span(run: RunData, mask: np.ndarray) -> tuple[float, float] | None:
    if not mask.any():
        return None
    s = run.streams
    start = np.nanmin(s["scheduled"].to_numpy(np.float64)[mask])
    end = s["end"].to_numpy(np.float64)[mask]
    stop = np.nanmax(end) if np.isfinite(end).any() else start
    return (float(start - run.origin), float(stop - run.origin))


def error_rate(run: RunData, item: PlannedSlo, excused: np.ndarray | None = None) -> CheckResult:
    """Non-ok / all streams of the scope; streams in `excused` (lost with pods a hard fault killed, see
    analysis/checks/hard_faults.py) are set aside from both and counted in the sentence."""
    s = run.streams
    mask = item.scope.mask(run)
    aside = 0
    if excused is not None and len(excused) == len(mask):
        aside = int((mask & excused).sum())
        mask = mask & ~excused
    n = int(mask.sum())
    if n == 0:
        return _skipped(item, "fraction", f"no streams for {item.scope.describe()}")
    bad = mask & ~is_ok(run)
    by_outcome = counts(s["outcome"], bad)
    objects = _top_codes(run, bad)
    if "pod" in s.columns and bad.any():  # which pods served the failures (the reference server names itself)
        by_pod = [(p, n) for p, n in counts(s["pod"], bad).items() if p != "missing"][:EXEMPLARS]
        objects += tuple(f"pod {p}: {n} failed" for p, n in by_pod)
    measured = int(bad.sum()) / n
    verdict: Verdict = "pass" if measured <= item.threshold else "fail"
    breakdown = ", ".join(f"{k} {v}" for k, v in by_outcome.items()) or "none"
    sentence = (
        f"{fmt.count(bad.sum())} of {fmt.count(n)} streams of {item.scope.describe()} did not end ok "
        f"({fmt.fraction(measured)}; threshold {fmt.fraction(item.threshold)}): {verdict.upper()}. "
        f"By outcome: {breakdown}."
    )
    if aside:
        sentence += (f" {fmt.count(aside)} stream(s) lost with pods a hard fault killed are set aside "
                     "(judged by fault.collateral).")
    details = {"streams": n, "errors": int(bad.sum()), "by_outcome": by_outcome, "scope": item.scope.describe(),
               "set_aside": aside}
    details["by_endpoint"] = counts(s["endpoint"], bad)
    evidence = Evidence(sentence, _span(run, bad) or _span(run, mask), objects, details)
    return CheckResult(item.name, verdict, measured, item.threshold, "fraction", evidence)


def _top_codes(run: RunData, bad: np.ndarray, top: int = 5) -> tuple[str, ...]:
    """The most frequent (outcome, status, error) combinations among the failed streams."""
    s = run.streams
    outcome, status = label_codes(s["outcome"]), s["status"].to_numpy()[bad]
    error = label_codes(s["error"])
    frame = pd.DataFrame({"o": outcome[0][bad], "s": status, "e": error[0][bad]})
    sizes = frame.groupby(["o", "s", "e"]).size().sort_values(ascending=False, kind="stable").head(top)
    names = [*outcome[1], "missing"], [*error[1], "-"]  # code -1 (null) picks the last name
    return tuple(f"{names[0][o]} status={st} error={names[1][e]}: {n}" for (o, st, e), n in sizes.items())


def _per_stream(run: RunData, metric: str) -> np.ndarray:
    """The per-stream value compared with a latency threshold (ITL: the stream's own gap_p99)."""
    if metric == "itl":
        values = run.streams["gap_p99"].to_numpy(np.float64, copy=True)
        values[~is_ok(run)] = np.nan
        return values
    return stream_metric(run, metric)


def latency(run: RunData, item: PlannedSlo, tables: LatencyTables, lookup: StreamLookup) -> CheckResult:
    metric, column, unit = SLO_KEYS[item.key]
    assert column is not None
    name = METRIC_NAMES[metric]
    if (metric, item.scope.grouping) not in tables.tables:
        return _skipped(item, unit, f"no {name} data in this run (gap_sample missing)")
    n = tables.value(metric, item.scope.grouping, item.scope.label, "n")
    if not n or not np.isfinite(n):
        return _skipped(item, unit, f"no ok stream of {item.scope.describe()} has a {name} value")
    measured = tables.value(metric, item.scope.grouping, item.scope.label, column)
    verdict: Verdict = "pass" if measured <= item.threshold else "fail"
    values = _per_stream(run, metric)
    scoped = np.where(item.scope.mask(run), values, np.nan)
    with np.errstate(invalid="ignore"):
        over = scoped > item.threshold
    worst = _worst_rows(scoped, over)
    names = lookup.describe(worst) if verdict == "fail" else {}
    objects = tuple(f"{names[r]}: {fmt.seconds(scoped[r])}" for r in worst if r in names)
    if metric == "itl":
        weight = tables.value(metric, item.scope.grouping, item.scope.label, "weight")
        what = f"samples (~{fmt.count(weight)} gaps)"
    else:
        what = "ok streams"
    sentence = (
        f"{name} {column} = {fmt.seconds(measured)} over {fmt.count(n)} {what} of {item.scope.describe()}; "
        f"threshold {fmt.seconds(item.threshold)}: {verdict.upper()}. "
        f"{fmt.count(over.sum())} streams above the threshold"
        + (" (per-stream gap_p99)." if metric == "itl" else ".")
    )
    details = {
        "scope": item.scope.describe(),
        "n": int(n),
        "streams_over_threshold": int(over.sum()),
        **{c: tables.value(metric, item.scope.grouping, item.scope.label, c) for c in ("p50", "p95", "p99", "max")},
    }
    window = _span(run, over) if over.any() else _span(run, np.isfinite(scoped))
    return CheckResult(item.name, verdict, measured, item.threshold, unit, Evidence(sentence, window, objects, details))


def _worst_rows(values: np.ndarray, over: np.ndarray) -> list[int]:
    candidates = np.flatnonzero(over)
    if not len(candidates):
        return []
    if len(candidates) > EXEMPLARS:
        top = np.argpartition(values[candidates], -EXEMPLARS)[-EXEMPLARS:]
        candidates = candidates[top]
    return [int(r) for r in candidates[np.argsort(-values[candidates])]]


def _skipped(item: PlannedSlo, unit: str, reason: str) -> CheckResult:
    evidence = Evidence(f"Skipped: {reason}.", None, (), {"scope": item.scope.describe()})
    return CheckResult(item.name, "skipped", None, item.threshold, unit, evidence)


def evaluate_slos(run: RunData, config: SloConfig, tables: LatencyTables) -> list[CheckResult]:
    lookup = StreamLookup(run.stream_files)
    results = []
    for item in plan(config):
        if item.key == "error_rate":
            results.append(error_rate(run, item))
        else:
            results.append(latency(run, item, tables, lookup))
    return results


def check(ctx: CheckContext) -> list[CheckResult]:
    """The profile's SLOs; INVALID with the gate's reason when the run is invalid. Error rates set the streams
    lost to hard faults and API outages aside (casualties, known from the cluster files)."""
    results = evaluate_slos(ctx.run, ctx.slos, ctx.tables)
    reason = ctx.invalid_reason
    if reason:
        return [r.invalidated(reason) for r in results]
    excused = ctx.excused(len(ctx.run.streams))
    if excused is None:
        return results
    fresh = {item.name: error_rate(ctx.run, item, excused) for item in plan(ctx.slos) if item.key == "error_rate"}
    return [fresh[c.name] if c.name in fresh and c.verdict != "invalid" else c for c in results]


CHECKS = (Check(20, "slo", check),)
