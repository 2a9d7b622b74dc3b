"""`trend RUNS...`: key metrics of many runs (nightly soaks) side by side, each run judged against a rolling baseline.

Each run is read from its `report/summary.json` only (a run without one gets its report built first), so a year of
nightly runs is read in seconds; per-stream latencies are read (4 columns of streams.parquet) only for a run whose
latency is beyond tolerance, to test it. Runs are ordered by their start time.

Baseline of run i: the up-to-`window` earlier runs that completed (not interrupted, refused or a dry run); at least
`MIN_BASELINE` of them, else the run is not judged. The rules are `compare`'s (analysis/compare.py), with the
baseline's median nightly value as the baseline value:
  latency   TTFT/E2E p50/p95/p99: relative increase beyond tolerance AND Mann-Whitney U of the run's ok-stream
            latencies vs the baseline runs' pooled (subsampled) ones significant at alpha; streams missing -> "beyond
            tolerance, untested", not a regression
  errors    absolute increase of the error rate beyond tolerance AND two-proportion z-test (run vs the baseline's
            pooled streams) significant at alpha
  goodput   relative drop beyond tolerance (no test, as in compare)
  verdict   the run's overall verdict is fail/invalid/incomplete while the baseline's latest run passed
Other key metrics (HPA reaction, max replicas, PDB denials, streams lost, alerts fired) are shown and flagged as
drift when outside the baseline's observed range; drift is information, not a regression.
Exit code: 0 no regression in the newest run, 1 a regression in the newest run, 5 bad input.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.columnar import RunDirError, parquet_sources
from analysis.compare import DEFAULT_TOLERANCES, LATENCY, MAX_SAMPLES, mann_whitney, two_proportions
from analysis.schema import REPORT_DIR, STREAMS_FILE

WINDOW, MIN_BASELINE = 7, 3
LATENCY_KEYS = tuple(f"{m}_{p}" for m in LATENCY for p in ("p50", "p95", "p99"))
# key metric -> (label, unit, check name whose measured value it is)
CHECK_METRICS: dict[str, tuple[str, str, str]] = {
    "hpa_reaction_s": ("HPA reaction", "s", "hpa.scale_up_reaction"),
    "max_replicas": ("max replicas", "replicas", "hpa.bounds"),
    "pdb_denials": ("PDB denials", "denials", "pdb.denials"),
    "streams_lost": ("streams lost to shutdowns", "streams", "survival.in_flight"),
}
BAD = {"fail", "invalid", "incomplete"}
UNJUDGED_STATES = {"interrupted", "refused", "dry-run"}


@dataclass
class Night:
    run_dir: Path
    name: str
    started: float | None
    overall: str
    state: str
    streams: int
    errors: int
    metrics: dict[str, float | None]
    flags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def regressions(self) -> list[dict[str, Any]]:
        return [f for f in self.flags if f["kind"] == "regression"]


def _latency(summary: dict[str, Any]) -> dict[str, float | None]:
    rows = {r.get("metric"): r for r in summary.get("metrics", {}).get("latency_s", [])}
    return {f"{m}_{p}": rows.get(m, {}).get(p) for m in LATENCY for p in ("p50", "p95", "p99")}


def _check_metrics(summary: dict[str, Any]) -> dict[str, float | None]:
    checks = {c["name"]: c for c in summary.get("checks", [])}
    out: dict[str, float | None] = {}
    for key, (_, _, name) in CHECK_METRICS.items():
        c = checks.get(name)
        out[key] = c.get("measured") if c and c.get("verdict") != "skipped" else None
    alerts = [c for c in checks.values()
              if c["name"].split(".")[0] in ("alert", "alerts") and c["verdict"] != "skipped"]
    out["alerts_fired"] = float(sum(c["verdict"] == "fail" for c in alerts)) if alerts else None
    return out


def read_night(run_dir: Path) -> Night:
    path = run_dir / REPORT_DIR / "summary.json"
    if not path.is_file():
        from analysis.report import build_report  # only for a run never reported: the one expensive path

        build_report(run_dir)
    try:
        summary = json.loads(path.read_text())
        metrics = summary["metrics"]
        outcomes = metrics["outcomes"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunDirError(f"{path}: not a report summary ({exc}); rebuild it with `afsuite report {run_dir}`") from exc
    run = summary.get("run", {})
    streams = int(metrics.get("streams") or 0)
    values = {**_latency(summary), "error_rate": metrics.get("error_rate"),
              "goodput": (metrics.get("goodput") or {}).get("goodput_per_s"), **_check_metrics(summary)}
    return Night(run_dir, str(run.get("name") or run_dir.name), run.get("started"), summary.get("overall_verdict", "?"),
                 (summary.get("run_status") or {}).get("state", "completed"), streams,
                 streams - int(outcomes.get("ok", 0)), values)


def find_runs(paths: list[Path]) -> list[Path]:
    """Run directories among `paths`: a path with a manifest.json is a run, else its children with one are."""
    runs: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise RunDirError(f"{path}: not a directory (give run directories or a directory of runs)")
        if (path / "manifest.json").is_file():
            runs.append(path)
        else:
            runs += sorted(p for p in path.iterdir() if p.is_dir() and (p / "manifest.json").is_file())
    if not runs:
        raise RunDirError(f"no run directory (with a manifest.json) in {', '.join(map(str, paths))}")
    return list(dict.fromkeys(runs))


def latency_samples(run_dir: Path, metric: str) -> np.ndarray | None:
    """Per-stream latency of the run's ok streams (4 columns of streams.parquet), or None when unreadable."""
    files, _ = parquet_sources(run_dir, STREAMS_FILE)
    end = "first_token" if metric == "ttft" else "end"
    try:
        tables = [pq.read_table(f, columns=["scheduled", end, "outcome"]) for f in files]
    except (OSError, ValueError):
        return None
    if not tables:
        return None
    parts = []
    for t in tables:
        ok = pc.equal(t.column("outcome").cast(pa.string()), "ok").to_numpy(zero_copy_only=False)
        ok = np.asarray(ok, dtype=object) == True  # noqa: E712 (null outcome -> not ok)
        values = t.column(end).to_numpy(zero_copy_only=False).astype(np.float64) - \
            t.column("scheduled").to_numpy(zero_copy_only=False).astype(np.float64)
        parts.append(values[ok])
    return np.concatenate(parts)


def _pooled(runs: list[Night], metric: str) -> np.ndarray | None:
    rng = np.random.default_rng(0)
    parts = [latency_samples(n.run_dir, metric) for n in runs]
    if any(p is None for p in parts):
        return None
    share = max(1, MAX_SAMPLES // len(parts))
    return np.concatenate([rng.choice(p, share, replace=False) if len(p) > share else p
                           for p in parts if p is not None])


def _median(nights: list[Night], key: str) -> float | None:
    values = [n.metrics.get(key) for n in nights]
    finite = [float(v) for v in values if isinstance(v, int | float) and np.isfinite(v)]
    return statistics.median(finite) if finite else None


def _flag(kind: str, metric: str, base: float | None, value: float | None, text: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "metric": metric, "baseline": base, "run": value, "text": text, **extra}


def _latency_flags(night: Night, base: list[Night], tol: dict[str, float]) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    tested: dict[str, tuple[float | None, str]] = {}
    for key in LATENCY_KEYS:
        old, new = _median(base, key), night.metrics.get(key)
        if old is None or new is None or not old or (new - old) / old <= tol[key]:
            continue
        metric = key.split("_")[0]
        if metric not in tested:
            run, pooled = latency_samples(night.run_dir, metric), _pooled(base, metric)
            tested[metric] = (None, "streams unreadable") if run is None or pooled is None else \
                mann_whitney(run, pooled)
        p, method = tested[metric]
        rise = f"{(new - old) / old:+.0%} vs the baseline median"
        if p is None:
            flags.append(_flag("untested", key, old, new, f"{key} {rise}: beyond tolerance, untested ({method})"))
        elif p < tol["alpha"]:
            flags.append(_flag("regression", key, old, new, f"{key} {rise} (p = {p:.2g}, {method})", p_value=p))
    return flags


def _rate_flags(night: Night, base: list[Night], tol: dict[str, float]) -> list[dict[str, Any]]:
    flags = []
    n_base, bad_base = sum(b.streams for b in base), sum(b.errors for b in base)
    old, new = (bad_base / n_base if n_base else None), night.metrics.get("error_rate")
    if old is not None and new is not None and new - old > tol["error_rate"]:
        p = two_proportions(night.errors, night.streams, bad_base, n_base)
        if p is not None and p < tol["alpha"]:
            flags.append(_flag("regression", "error_rate", old, new, f"error rate {new:.2%} vs {old:.2%} pooled "
                               f"baseline (p = {p:.2g}, two-proportion z-test)", p_value=p))
    old, new = _median(base, "goodput"), night.metrics.get("goodput")
    if old and new is not None and (old - new) / old > tol["goodput"]:
        flags.append(_flag("regression", "goodput", old, new, f"goodput {new:.3g}/s, {(new - old) / old:+.0%} vs the "
                           "baseline median"))
    return flags


def _other_flags(night: Night, base: list[Night]) -> list[dict[str, Any]]:
    flags = []
    for key in (*CHECK_METRICS, "alerts_fired"):
        values = [b.metrics.get(key) for b in base if b.metrics.get(key) is not None]
        new = night.metrics.get(key)
        if new is None or not values:
            continue
        numbers = [float(v) for v in values if v is not None]
        low, high = min(numbers), max(numbers)
        if new > high or new < low:
            flags.append(_flag("drift", key, _median(base, key), new,
                               f"{key} {new:g} outside the baseline's range {low:g}..{high:g}"))
    return flags


def judge(nights: list[Night], tol: dict[str, float] | None = None, window: int = WINDOW) -> list[Night]:
    """Flag every run against the up-to-`window` earlier completed runs (in place; returns `nights`)."""
    tol = {**DEFAULT_TOLERANCES, **(tol or {})}
    for i, night in enumerate(nights):
        night.flags = []
        base = [n for n in nights[:i] if n.state not in UNJUDGED_STATES][-window:]
        if len(base) < MIN_BASELINE or night.state in UNJUDGED_STATES:
            continue
        night.flags += _latency_flags(night, base, tol) + _rate_flags(night, base, tol) + _other_flags(night, base)
        if night.overall in BAD and base[-1].overall == "pass":
            night.flags.append(_flag("regression", "verdict", None, None, f"verdict {night.overall.upper()} after "
                                     f"{base[-1].name} passed"))
    return nights


def load_nights(paths: list[Path]) -> list[Night]:
    nights = [read_night(p) for p in find_runs(paths)]
    return sorted(nights, key=lambda n: (n.started if isinstance(n.started, int | float) else float("inf"),
                                         n.run_dir.name))
