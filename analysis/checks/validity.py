"""The validity gate: was the load generator able to produce the load it claims? If not, the run is INVALID.

  validity.streams        the run recorded at least one stream
  validity.loadgen_cpu    the highest CPU of any load-generator process averaged over a sustained window of
                          saturation_window_s seconds (default 5; loadgen.parquet) <= max_cpu_percent (Locust
                          warns at 90 %: past that, its timings are not trustworthy). A lone sample above the
                          limit is reported, not judged: the same overload gives the same verdict every run.
  validity.dispatch_lag   p99 of sent - scheduled over open-loop streams <= max_dispatch_lag_p99 (s): a late
                          send means the generator could not keep the arrival schedule
  validity.dropped        dropped arrivals / (dropped + open-loop streams) <= max_dropped_fraction
  validity.auth           the service did not refuse the API key (the load stopped early for it, or every
                          stream answered 401/403: nothing was measured)
A failed gate yields verdict "invalid" (never "fail"); a gate without its input is "skipped" with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.config import ValidityConfig
from analysis.checks.context import Check, CheckContext
from analysis.checks.result import CheckResult, Evidence
from analysis.latency import LatencyTables
from analysis.rundir import RunData
from analysis.schema import LOADGEN_FILE, STREAMS_FILE

REFUSED = (401.0, 403.0)


def _skipped(name: str, unit: str, threshold: float | None, reason: str) -> CheckResult:
    return CheckResult(name, "skipped", None, threshold, unit, Evidence(f"Skipped: {reason}."), kind="validity")


def streams_present(run: RunData) -> CheckResult:
    n = len(run.streams)
    if n:
        sentence = f"{fmt.count(n)} streams recorded in {STREAMS_FILE}."
        return CheckResult("validity.streams", "pass", n, 1, "streams", Evidence(sentence), kind="validity")
    reason = run.skipped.get(STREAMS_FILE) or f"{STREAMS_FILE} has no rows"
    sentence = (
        f"No streams at all ({reason}): the load generator recorded nothing, so no SLO can be judged. "
        "Check the load profile and Locust's output in locust/."
    )
    return CheckResult("validity.streams", "invalid", 0, 1, "streams", Evidence(sentence), kind="validity")


def _loadgen(run: RunData) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    frame = run.loadgen
    if frame is None or not len(frame):
        return None
    return (
        frame["time"].to_numpy(np.float64) - run.origin,
        frame["worker"].astype("string").fillna("?").to_numpy(object),
        frame["cpu_percent"].to_numpy(np.float64),
    )


def sustained_cpu(times: np.ndarray, workers: np.ndarray, cpu: np.ndarray, window_s: float) -> np.ndarray:
    """Per sample: the mean CPU of its worker over the `window_s` seconds ending at it (NaN until the window
    holds at least 80 % of its one-per-second samples: a lone early spike is not a sustained window)."""
    frame = pd.DataFrame({"t": pd.to_datetime(times, unit="s"), "w": workers, "cpu": cpu})
    frame = frame.sort_values(["w", "t"], kind="stable")
    rolled = frame.groupby("w", sort=False).rolling(f"{window_s}s", on="t")["cpu"]
    means = rolled.mean().to_numpy()
    counts = rolled.count().to_numpy()
    need = max(2, int(np.ceil(0.8 * window_s)))
    out = np.full(len(cpu), np.nan)
    out[frame.index.to_numpy()] = np.where(counts >= need, means, np.nan)
    return out


def loadgen_cpu(run: RunData, config: ValidityConfig) -> CheckResult:
    name, limit, window_s = "validity.loadgen_cpu", config.max_cpu_percent, config.saturation_window_s
    data = _loadgen(run)
    if data is None:
        return _skipped(name, "%", limit, run.skipped.get(LOADGEN_FILE, f"{LOADGEN_FILE} has no rows"))
    times, workers, cpu = data
    peak = float(np.nanmax(cpu)) if np.isfinite(cpu).any() else float("nan")
    sustained = sustained_cpu(times, workers, cpu, window_s)
    measured = float(np.nanmax(sustained)) if np.isfinite(sustained).any() else peak
    rule = f"{window_s:g} s mean CPU of each load-generator process vs {limit:.0f} %"
    with np.errstate(invalid="ignore"):
        hot = sustained > limit
        spikes = int((cpu > limit).sum())
    if not hot.any():
        brief = (f" {spikes} single sample(s) above {limit:.0f} % (peak {peak:.1f} %) were brief, not a sustained "
                 "saturation" if spikes else "")
        sentence = f"Load-generator CPU: highest {rule} was {measured:.1f} %.{brief}".rstrip(".") + "."
        evidence = Evidence(sentence, (float(times.min()), float(times.max())), tuple(sorted(set(workers))),
                            {"window_s": window_s, "peak_sample": peak, "samples_above_limit": spikes})
        return CheckResult(name, "pass", measured, limit, "%", evidence, kind="validity")
    hot_workers = tuple(sorted(set(workers[hot])))
    first, last = float(times[hot].min() - window_s), float(times[hot].max())
    sentence = (
        f"Load generator saturated: its {window_s:g} s mean CPU stayed above {limit:.0f} % (highest "
        f"{measured:.1f} %, peak sample {peak:.1f} %) on {', '.join(hot_workers)} between {fmt.offset(first)} and "
        f"{fmt.offset(last)}; its timings are not trustworthy. Add workers or lower the load."
    )
    evidence = Evidence(sentence, (first, last), hot_workers,
                        {"window_s": window_s, "hot_windows": int(hot.sum()), "samples": len(cpu), "peak_sample": peak})
    return CheckResult(name, "invalid", measured, limit, "%", evidence, kind="validity")


def dispatch_lag(run: RunData, config: ValidityConfig, tables: LatencyTables) -> CheckResult:
    name, limit = "validity.dispatch_lag", config.max_dispatch_lag_p99
    n = tables.value("dispatch_lag", "all", "all", "n") if ("dispatch_lag", "all") in tables.tables else 0
    if not n or not np.isfinite(n):
        return _skipped(name, "s", limit, "no open-loop streams (closed-loop load has no arrival schedule)")
    measured = tables.value("dispatch_lag", "all", "all", "p99")
    lag = run.streams["dispatch_lag"].to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        late = run.streams["open_loop"].to_numpy(bool, na_value=False) & (lag > limit)
    window = None
    if late.any():
        sched = run.streams["scheduled"].to_numpy(np.float64)[late] - run.origin
        window = (float(np.nanmin(sched)), float(np.nanmax(sched)))
    ok = measured <= limit
    sentence = (
        f"Dispatch lag (sent - scheduled) p99 = {fmt.seconds(measured)} over {fmt.count(n)} open-loop streams "
        f"(limit {fmt.seconds(limit)}); {fmt.count(late.sum())} streams were sent later than the limit."
        + ("" if ok else " The load generator could not keep its arrival schedule: the run is INVALID.")
    )
    details = {"late_streams": int(late.sum()), "open_loop_streams": int(n),
               "p50": tables.value("dispatch_lag", "all", "all", "p50"),
               "max": tables.value("dispatch_lag", "all", "all", "max")}
    evidence = Evidence(sentence, window, (), details)
    return CheckResult(name, "pass" if ok else "invalid", measured, limit, "s", evidence, kind="validity")


def dropped(run: RunData, config: ValidityConfig) -> CheckResult:
    name, limit = "validity.dropped", config.max_dropped_fraction
    frame = run.loadgen
    if frame is None or not len(frame):
        return _skipped(name, "fraction", limit, run.skipped.get(LOADGEN_FILE, f"{LOADGEN_FILE} has no rows"))
    drops = frame["dropped"].to_numpy(np.float64, na_value=0.0)
    total_dropped = float(np.nansum(drops))
    open_loop = int(run.streams["open_loop"].to_numpy(bool, na_value=False).sum())
    offered = total_dropped + open_loop
    measured = total_dropped / offered if offered else 0.0
    ok = measured <= limit
    window, workers = None, ()
    if total_dropped:
        when = frame["time"].to_numpy(np.float64)[drops > 0] - run.origin
        window = (float(when.min()), float(when.max()))
        workers = tuple(sorted(set(frame["worker"].astype("string").fillna("?")[drops > 0])))
    sentence = (
        f"{fmt.count(total_dropped)} arrivals dropped of {fmt.count(offered)} offered "
        f"({fmt.fraction(measured)}; limit {fmt.fraction(limit)})"
        + ("." if ok else ": the open-loop concurrency cap was reached, the offered load was not delivered.")
    )
    evidence = Evidence(sentence, window, workers, {"dropped": int(total_dropped), "open_loop_streams": open_loop})
    return CheckResult(name, "pass" if ok else "invalid", measured, limit, "fraction", evidence, kind="validity")


def auth(run: RunData) -> CheckResult:
    """INVALID when the service refused the API key: the load stopped early for it (manifest `load.aborted`), or
    every stream was answered 401/403. Nothing was measured but the refusal."""
    name = "validity.auth"
    status = run.streams["status"].to_numpy(np.float64, na_value=np.nan) if "status" in run.streams else None
    refused = 0 if status is None else int(np.isin(status, REFUSED).sum())
    total = len(run.streams)
    aborted = (run.manifest.get("load") or {}).get("aborted") or {}
    if aborted.get("reason") == "api_key_refused" or (total and refused == total):
        sentence = (f"The API key was refused: HTTP {aborted.get('status') or '401/403'} on "
                    f"{refused} of {total} stream(s)" + (", so the load stopped early" if aborted else "")
                    + "; nothing else was measured. Check the key (AGENTFLOW_API_KEY or the target's api_key_env "
                    "/ api_key_file).")
        return CheckResult(name, "invalid", refused, 0, "streams", Evidence(sentence), kind="validity")
    sentence = f"{refused} stream(s) answered 401/403." if refused else "No stream was refused for its API key."
    return CheckResult(name, "pass", refused, total, "streams", Evidence(sentence), kind="validity")


def evaluate_validity(run: RunData, config: ValidityConfig, tables: LatencyTables) -> list[CheckResult]:
    return [streams_present(run), auth(run), loadgen_cpu(run, config), dispatch_lag(run, config, tables),
            dropped(run, config)]


def check(ctx: CheckContext) -> list[CheckResult]:
    """The validity gate: can the load generator's numbers be trusted?"""
    return evaluate_validity(ctx.run, ctx.validity, ctx.tables)


CHECKS = (Check(10, "validity", check),)
