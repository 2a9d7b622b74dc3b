"""`compare RUN BASELINE`: what changed between two runs, and did RUN regress?

Both runs are analysed afresh (nothing is written into BASELINE). Written to RUN/report/: compare.md and
compare.json. Exit code: 0 no regression, 1 at least one regression, 5 bad input (names the file and field) or
runs that are not comparable. Comparable means the same profile, target, experiments and a duration within 20 %:
otherwise the command refuses, naming every difference, unless `--force` (then compare.md opens with a warning).

  verdicts   every check of either run: baseline verdict -> run verdict; pass -> fail/invalid/incomplete is a regression
  metrics    TTFT and E2E p50/p95/p99 (ok streams), error rate, goodput/s: baseline, run, delta, relative delta
  tests      latency: Mann-Whitney U (two-sided) on the per-stream samples of ok streams - scipy's when scipy is
             installed, else the same U statistic with a permutation p-value (2000 label shuffles, seeded; each
             side subsampled to 5000 streams); error rate: two-proportion z-test; goodput: none
  regression a metric worse than its tolerance (latency/goodput: relative, error rate: absolute) and, where a
             test applies, significant at `alpha`; with fewer than 8 ok streams on a side the latency test cannot
             run and a latency beyond tolerance is reported as "beyond tolerance, untested", not as a regression
Tolerances (JSON or YAML mapping, all optional): ttft_p50 ttft_p95 ttft_p99 e2e_p50 e2e_p95 e2e_p99 (relative
increase, default 0.10), error_rate (absolute increase, default 0.005), goodput (relative drop, default 0.10),
alpha (default 0.05).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.result import jsonable
from analysis.report.atomic import write_all
from analysis.report.markdown import table
from analysis.rundir import RunDirError, load_for_report
from analysis.schema import REPORT_DIR
from analysis.verdict import Analysis, analyse, error_rate

EXIT_OK, EXIT_REGRESSION, EXIT_BAD_INPUT = 0, 1, 5
LATENCY = ("ttft", "e2e")
DEFAULT_TOLERANCES: dict[str, float] = {
    **{f"{m}_{p}": 0.10 for m in LATENCY for p in ("p50", "p95", "p99")},
    "error_rate": 0.005, "goodput": 0.10, "alpha": 0.05,
}
PERMUTATIONS, MAX_SAMPLES, MIN_SAMPLES = 2000, 5000, 8
DURATION_TOLERANCE = 0.2  # runs whose lengths differ more than this (relative) are not comparable


class NotComparable(RunDirError):
    """The two runs do not measure the same thing (profile, target, experiments or duration differ)."""


BAD = {"fail", "invalid", "incomplete"}


def read_tolerances(path: Path | None) -> dict[str, float]:
    if path is None:
        return dict(DEFAULT_TOLERANCES)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RunDirError(f"{path}: cannot read the tolerances file ({exc})") from exc
    import yaml

    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RunDirError(f"{path}: not YAML/JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise RunDirError(f"{path}: must be a mapping of metric -> tolerance")
    unknown = sorted(set(raw) - set(DEFAULT_TOLERANCES))
    if unknown:
        raise RunDirError(f"{path}: unknown key(s) {unknown}; known: {sorted(DEFAULT_TOLERANCES)}")
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise RunDirError(f"{path}: {key} must be a non-negative number, got {value!r}")
    return {**DEFAULT_TOLERANCES, **{k: float(v) for k, v in raw.items()}}


def _ranks_u(a: np.ndarray, b: np.ndarray) -> float:
    ranks = pd.Series(np.concatenate([a, b])).rank(method="average").to_numpy()
    return float(ranks[: len(a)].sum() - len(a) * (len(a) + 1) / 2)


def mann_whitney(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float | None, str]:
    """(two-sided p-value, method); None when a side has fewer than MIN_SAMPLES values."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < MIN_SAMPLES or len(b) < MIN_SAMPLES:
        return None, "too few samples"
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        mannwhitneyu = None
    if mannwhitneyu is not None:
        return float(mannwhitneyu(a, b, alternative="two-sided").pvalue), "Mann-Whitney U (scipy)"
    rng = np.random.default_rng(seed)
    a = rng.choice(a, MAX_SAMPLES, replace=False) if len(a) > MAX_SAMPLES else a
    b = rng.choice(b, MAX_SAMPLES, replace=False) if len(b) > MAX_SAMPLES else b
    pooled, n = np.concatenate([a, b]), len(a)
    ranks = pd.Series(pooled).rank(method="average").to_numpy()
    centre = n * len(b) / 2
    observed = abs(ranks[:n].sum() - n * (n + 1) / 2 - centre)
    extreme = 0
    for _ in range(PERMUTATIONS):
        picked = rng.permutation(len(pooled))[:n]
        extreme += abs(ranks[picked].sum() - n * (n + 1) / 2 - centre) >= observed - 1e-9
    return (extreme + 1) / (PERMUTATIONS + 1), f"Mann-Whitney U, permutation p-value ({PERMUTATIONS} shuffles)"


def two_proportions(bad_a: int, n_a: int, bad_b: int, n_b: int) -> float | None:
    if not n_a or not n_b:
        return None
    pooled = (bad_a + bad_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 1.0
    z = (bad_a / n_a - bad_b / n_b) / se
    return math.erfc(abs(z) / math.sqrt(2))


def _samples(analysis: Analysis, metric: str) -> np.ndarray:
    s = analysis.run.streams
    ok = (s["outcome"] == "ok").to_numpy(bool, na_value=False)
    return s[metric].to_numpy(np.float64)[ok]


def _latency_value(analysis: Analysis, metric: str, column: str) -> float | None:
    frame = analysis.latency
    if not len(frame) or metric not in frame.index:
        return None
    value = float(frame.at[metric, column])
    return value if math.isfinite(value) else None


def _row(name: str, base: float | None, new: float | None, unit: str, worse_by: float | None, limit: float,
         p: float | None, method: str, alpha: float) -> dict[str, Any]:
    delta = None if base is None or new is None else new - base
    relative = None if delta is None or not base else delta / base
    beyond = bool(worse_by is not None and worse_by > limit)
    untested = method == "too few samples"  # a test applies but cannot say anything: reported, not flagged
    regression = beyond and not untested and (p is None or p < alpha)
    return {"metric": name, "baseline": base, "run": new, "unit": unit, "delta": delta, "relative": relative,
            "tolerance": limit, "p_value": p, "test": method, "beyond_tolerance": beyond, "regression": regression}


def metric_rows(run: Analysis, base: Analysis, tol: dict[str, float]) -> list[dict[str, Any]]:
    alpha, rows = tol["alpha"], []
    for metric in LATENCY:
        p, method = mann_whitney(_samples(run, metric), _samples(base, metric))
        for column in ("p50", "p95", "p99"):
            old, new = _latency_value(base, metric, column), _latency_value(run, metric, column)
            worse = None if old is None or new is None or not old else (new - old) / old
            rows.append(_row(f"{metric}_{column}", old, new, "s", worse, tol[f"{metric}_{column}"], p, method, alpha))
    n_run, n_base = sum(run.outcomes.values()), sum(base.outcomes.values())
    bad_run, bad_base = n_run - run.outcomes.get("ok", 0), n_base - base.outcomes.get("ok", 0)
    old, new = error_rate(base), error_rate(run)
    worse = None if old is None or new is None else new - old
    p = two_proportions(bad_run, n_run, bad_base, n_base)
    rows.append(_row("error_rate", old, new, "fraction", worse, tol["error_rate"], p, "two-proportion z-test", alpha))
    old, new = base.goodput.get("goodput_per_s"), run.goodput.get("goodput_per_s")
    worse = None if old is None or new is None or not old else (old - new) / old
    rows.append(_row("goodput", old, new, "streams/s", worse, tol["goodput"], None, "none", alpha))
    return rows


def verdict_rows(run: Analysis, base: Analysis) -> list[dict[str, Any]]:
    before = {c.name: c.verdict for c in base.checks}
    after = {c.name: c.verdict for c in run.checks}
    rows = []
    for name in [*after, *(n for n in before if n not in after)]:
        old, new = before.get(name), after.get(name)
        regression = new in BAD and old not in BAD and old is not None
        change = "same" if old == new else ("new" if old is None else ("gone" if new is None else "changed"))
        rows.append({"check": name, "baseline": old, "run": new, "change": change, "regression": regression})
    return rows


def _duration(manifest: dict[str, Any]) -> float | None:
    start, end = manifest.get("started"), manifest.get("ended")
    if isinstance(start, int | float) and isinstance(end, int | float):
        return float(end - start)
    return None


def _target_of(manifest: dict[str, Any]) -> str:
    target = target_raw if isinstance(target_raw := manifest.get("target"), dict) else {}
    parts = [str(target.get(k)) for k in ("name", "context", "service_url", "host") if target.get(k)]
    return " ".join(parts) or "unknown"


def comparability(run: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """What differs between two runs' manifests such that their numbers do not measure the same thing."""
    out = []
    profiles = [str((m.get("profile") or {}).get("name", "?")) for m in (run, base)]
    if profiles[0] != profiles[1]:
        out.append(f"profile: run {profiles[0]}, baseline {profiles[1]}")
    targets = [_target_of(m) for m in (run, base)]
    if targets[0] != targets[1]:
        out.append(f"target: run {targets[0]}, baseline {targets[1]}")
    experiments = [list(m.get("experiments") or []) for m in (run, base)]
    if experiments[0] != experiments[1]:
        out.append(f"experiments: run {experiments[0] or 'none'}, baseline {experiments[1] or 'none'}")
    run_s, base_s = _duration(run), _duration(base)
    if run_s is not None and base_s is not None and max(run_s, base_s) > 0 and \
            abs(run_s - base_s) / max(run_s, base_s) > DURATION_TOLERANCE:
        out.append(f"duration: run {run_s:.0f} s, baseline {base_s:.0f} s (more than "
                   f"{DURATION_TOLERANCE:.0%} apart)")
    return out


def compare(run_dir: Path, baseline_dir: Path, tolerances: dict[str, float], force: bool = False) -> dict[str, Any]:
    """The comparison; raises NotComparable when the runs differ in profile, target, experiments or duration
    (unless `force`, which compares anyway and records why they are not comparable)."""
    run_data, base_data = load_for_report(run_dir), load_for_report(baseline_dir)
    differences = comparability(run_data.manifest, base_data.manifest)
    if differences and not force:
        raise NotComparable(f"{run_dir.name} and {baseline_dir.name} are not comparable: "
                            + "; ".join(differences) + ". Compare runs of the same profile, target, experiments "
                            "and duration, or pass --force to compare anyway")
    run, base = analyse(run_data), analyse(base_data)
    metrics, verdicts = metric_rows(run, base, tolerances), verdict_rows(run, base)
    regressions = [f"metric {m['metric']}" for m in metrics if m["regression"]]
    regressions += [f"check {v['check']} {v['baseline']} -> {v['run']}" for v in verdicts if v["regression"]]
    return jsonable({"run": run_dir.name, "baseline": baseline_dir.name, "overall": {"run": run.overall,
                     "baseline": base.overall}, "tolerances": tolerances, "metrics": metrics,
                     "verdicts": verdicts, "regressions": regressions, "not_comparable": differences})


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f} {unit}" if unit == "streams/s" else fmt.value(value, unit)


def _flag(m: dict[str, Any]) -> str:
    if m["regression"]:
        return "REGRESSION"
    if m["beyond_tolerance"]:
        return "beyond tolerance, not significant" if m["p_value"] is not None else "beyond tolerance, untested"
    return ""


def render_markdown(result: dict[str, Any]) -> str:
    lines = [f"# Compare {result['run']} against baseline {result['baseline']}", ""]
    if result.get("not_comparable"):
        lines += ["**WARNING: these runs are not comparable** (compared anyway, --force): "
                  + "; ".join(result["not_comparable"]) + ". The deltas below may say nothing about the service.", ""]
    verdict = "REGRESSION" if result["regressions"] else "no regression"
    lines += [f"**{verdict}**" + (": " + "; ".join(result["regressions"]) if result["regressions"] else ""), ""]
    lines += [f"Overall verdicts: baseline {result['overall']['baseline'].upper()}, run "
              f"{result['overall']['run'].upper()}.", "", "## Metrics", ""]
    rows = []
    for m in result["metrics"]:
        rel = "n/a" if m["relative"] is None else f"{m['relative'] * 100:+.1f} %"
        delta = "n/a" if m["delta"] is None else ("+" if m["delta"] >= 0 else "") + _fmt(m["delta"], m["unit"])
        tol = f"{m['tolerance'] * 100:g} %" + (" (absolute)" if m["metric"] == "error_rate" else "")
        p = "n/a" if m["p_value"] is None else f"{m['p_value']:.4f}"
        rows.append([m["metric"], _fmt(m["baseline"], m["unit"]), _fmt(m["run"], m["unit"]), delta, rel, tol, p,
                     m["test"], _flag(m)])
    lines += table(["Metric", "Baseline", "Run", "Delta", "Relative", "Tolerance", "p", "Test", "Flag"], rows)
    lines += ["", "## Check verdicts", ""]
    rows = [[v["check"], (v["baseline"] or "-").upper(), (v["run"] or "-").upper(), v["change"],
             "REGRESSION" if v["regression"] else ""] for v in result["verdicts"]]
    lines += table(["Check", "Baseline", "Run", "Change", "Flag"], rows)
    lines += ["", f"Significance level alpha = {result['tolerances']['alpha']:g}; a metric regresses when it is worse "
              "than its tolerance and, where a test applies, the test is significant. Latency samples: ok streams "
              "(TTFT = first_token - scheduled, E2E = end - scheduled)."]
    return "\n".join(lines) + "\n"


def compare_command(run: Path | str, baseline: Path | str, tolerances_file: Path | str | None = None,
                    force: bool = False) -> int:
    """Compare RUN with BASELINE, write RUN/report/compare.md and compare.json, print the summary; exit code
    (5 when the input is bad or the runs are not comparable without `force`)."""
    try:
        tolerances = read_tolerances(Path(tolerances_file) if tolerances_file else None)
        result = compare(Path(run), Path(baseline), tolerances, force)
    except RunDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    markdown = render_markdown(result)
    report_dir = Path(run) / REPORT_DIR
    write_all(report_dir, {"compare.md": markdown.encode("utf-8"),
                           "compare.json": (json.dumps(result, indent=2, allow_nan=False) + "\n").encode("utf-8")})
    print(markdown)
    print(f"written: {report_dir / 'compare.md'}, {report_dir / 'compare.json'}")
    return EXIT_REGRESSION if result["regressions"] else EXIT_OK
