"""Rows and texts shared by the Markdown and HTML reports (so both always say the same thing)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from analysis import exitcodes, fmt
from analysis.report.model import Analysis, error_rate

FORMULAS: tuple[tuple[str, str], ...] = (
    ("TTFT", "first_token - scheduled (open loop: scheduled = arrival time; closed loop: scheduled = sent)"),
    ("Dispatch lag", "sent - scheduled (how late the load generator sent the request)"),
    ("E2E", "end - scheduled"),
    ("TPOT", "(last_token - first_token) / (events - 1), per stream with at least 2 content events"),
    ("ITL (pooled)", "every gap between consecutive content events, pooled over streams from gap_sample; "
     "each sampled gap weighs gap_count / len(gap_sample) (a stream keeps at most 8 samples)"),
    ("pXX", "nearest rank: the smallest observed value with at least XX % of the (weighted) observations "
     "at or below it; no interpolation"),
    ("Streams counted", "TTFT, TPOT, E2E and ITL over streams with outcome ok; dispatch lag over open-loop "
     "streams; error rate over all streams"),
    ("Error rate", "streams whose outcome is not ok / all streams (mid-stream errors and truncations count)"),
    ("Goodput", "ok streams whose own TTFT, TPOT, E2E and gap_p99 meet the SLO thresholds that apply to "
     "them (highest configured percentile per metric) / run duration (s)"),
    ("Windows", "fixed windows aligned to the run start; a stream's latency counts in the window it was "
     "scheduled in, errors at their end time, events spread evenly over [first_token, last_token]"),
)

EXIT_CODE_TEXT = exitcodes.one_line()
LATENCY_NAMES = {"ttft": "TTFT", "itl": "ITL (pooled)", "tpot": "TPOT", "e2e": "E2E", "dispatch_lag": "Dispatch lag"}


def status_line(analysis: Analysis) -> str:
    """Why the run's status decided the verdict (interrupted, refused, dry run); empty for a completed run."""
    return analysis.status.reason if analysis.status.decides else ""


def verdict_rows(analysis: Analysis) -> list[dict[str, str]]:
    rows = []
    for c in analysis.checks:
        window = c.evidence.window_s
        rows.append(
            {
                "check": c.name,
                "verdict": c.verdict.upper(),
                "measured": fmt.value(c.measured, c.unit),
                "threshold": fmt.value(c.threshold, c.unit),
                "window": f"{fmt.offset(window[0])} .. {fmt.offset(window[1])}" if window else "",
                "evidence": c.evidence.sentence
                + (" Objects: " + "; ".join(c.evidence.objects) + "." if c.evidence.objects else ""),
            }
        )
    return rows


def _time(value: Any) -> str:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_rows(analysis: Analysis) -> list[tuple[str, str]]:
    m = analysis.run.manifest
    profile = analysis.run.profile
    return [
        ("Run", f"{m.get('name', '?')} ({m.get('run_id', analysis.run.run_dir.name)})"),
        ("Started", _time(m.get("started"))),
        ("Ended", _time(m.get("ended"))),
        ("Duration", fmt.seconds(analysis.goodput["duration_s"])),
        ("Profile", str(profile.get("name", "?"))),
        ("Git revision", str(m.get("git_revision") or "n/a")),
        *scale_rows(m),
    ]


def scale_rows(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The target's declared CPU and time scales (a real cluster: 1 and 1; docs/hpa.md)."""
    target = target_raw if isinstance(target_raw := manifest.get("target"), dict) else {}
    cpu, time = target.get("cpu_scale", 1.0), target.get("time_factor", 1.0)
    cpu = float(cpu) if isinstance(cpu, int | float) else 1.0
    time = float(time) if isinstance(time, int | float) else 1.0
    return [("CPU scale", "1 (real CPU)" if cpu == 1 else
             f"{cpu:g}: resource metrics = real process CPU and memory x {cpu:g} (local cluster)"),
            ("Time scale", "1 (real time)" if time == 1 else
             f"{time:g}: HPA windows, periods and controller timings / {time:g} (local cluster)")]


def totals_rows(analysis: Analysis) -> list[tuple[str, str]]:
    g = analysis.goodput
    total = sum(analysis.outcomes.values())
    rows = [("Streams", fmt.count(total)), ("Error rate", fmt.fraction(error_rate(analysis)))]
    for outcome, n in analysis.outcomes.items():
        share = f" ({fmt.fraction(n / total)})" if total else ""
        rows.append((f"outcome {outcome}", fmt.count(n) + share))
    per_s = g["goodput_per_s"]
    rows.append(("Goodput", "n/a" if per_s is None else f"{per_s:.2f} streams/s"))
    rows.append(("Good streams", f"{fmt.count(g['good_streams'])} ({fmt.fraction(g['good_fraction'])})"))
    return rows


def latency_rows(frame: pd.DataFrame) -> list[list[str]]:
    """One row per metric (or per endpoint and metric when the index has two levels)."""
    rows = []
    for key, r in frame.iterrows():
        names = list(key) if isinstance(key, tuple) else [key]
        metric = names[-1]
        n = fmt.count(r["n"]) + (f" samples (~{fmt.count(r['weight'])} gaps)" if metric == "itl" else "")
        label = [*names[:-1], LATENCY_NAMES.get(str(metric), str(metric))]
        rows.append([*label, n, *(fmt.seconds(r[c]) for c in ("p50", "p95", "p99", "max"))])
    return rows


def stage_rows(analysis: Analysis) -> list[list[str]]:
    rows = []
    for stage, r in analysis.stages.iterrows():
        kind = r.get("kind") if "kind" in r.index else None
        span = (
            f"{fmt.offset(r['start_s'])} .. {fmt.offset(r['end_s'])}"
            if "start_s" in r.index and pd.notna(r["start_s"])
            else "n/a"
        )
        load = _load(r)
        rows.append(
            [
                str(stage),
                str(kind) if isinstance(kind, str) else "n/a",
                span,
                load,
                fmt.count(r["streams"]),
                fmt.fraction(r["error_rate"]) if pd.notna(r.get("error_rate")) else "n/a",
                *(fmt.seconds(r.get(f"{m}_p99")) for m in ("ttft", "itl", "e2e")),
            ]
        )
    return rows


def _load(r: pd.Series) -> str:
    if "rate" in r.index and pd.notna(r["rate"]):
        return f"{r['rate']:g} arrivals/s"
    if "users" in r.index and pd.notna(r["users"]):
        return f"{int(r['users'])} users"
    return "n/a"


STAGE_HEADER = ["Stage", "Kind", "Span", "Load", "Streams", "Error rate", "TTFT p99", "ITL p99", "E2E p99"]
LATENCY_HEADER = ["Metric", "n", "p50", "p95", "p99", "max"]
VERDICT_HEADER = ["Check", "Verdict", "Measured", "Threshold", "Window", "Evidence"]
