"""Benchmarks of the report's views: the timeline of a 10 M-stream soak in headless Chromium, and `trend` over a year
of nightly runs.

Method
------
timeline  A soak of `--hours` (default 8) at `--rate` streams/s (default 350: 8 h x 350/s = 10.08 M streams) gives
          what the timeline is built from: one row per 10 s window (2,880) with the per-window columns of a real
          report (throughput, outcome counts, TTFT/ITL/E2E percentiles with random spikes) and one cluster sample
          per second (28,800 samples of HPA, deployment, PDB, 12 nodes with cordons), plus 48 fault marks. These
          frames go through the report's own code (analysis.report.timeline.timeline_json: min/max downsampling,
          JSON), into a page made of the report's own timeline section, uPlot and timeline.js. Chromium (Debian,
          headless, over the DevTools pipe) opens the file `--repeat` times with a fresh page each time; the
          number reported is the time from navigation start to the end of timeline.js (every chart drawn), read
          from `performance.now()` in the page. Median and range are printed, with the HTML size.
report    The real thing at full size: benchmarks/bench_report.py's generator writes a run directory of `--streams`
          (default 10 M) streams (one hour, open loop, 4 stages, every outcome), `build_report` writes its
          report.html, and Chromium opens that file `--repeat` times, timed as above. Also prints the file size.
trend     `--runs` (default 365) nightly run directories: 8 real ones (streams.parquet written, summary.json from
          the real analysis, the newest with a +50 % TTFT regression) and the rest copies of a real night's
          manifest and summary.json with perturbed metrics and their own start time. `trend_command` runs over the
          directory `--repeat` times (fresh output each time); median and range of the wall time are printed.

Run: `.venv/bin/python benchmarks/bench_report_views.py [timeline|report|trend|both]` (both = timeline + trend).
On a shared machine the numbers vary with other load: the script prints the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "analysis"))
sys.path.insert(0, str(REPO / "benchmarks"))


def soak_analysis(hours: float, rate: float, seed: int = 1) -> SimpleNamespace:
    """The frames the timeline reads, shaped like a real soak's Analysis (see Method)."""
    from analysis.cluster import ClusterData

    rng = np.random.default_rng(seed)
    windows = int(hours * 360)
    start = np.arange(windows) * 10.0
    per_window = rng.poisson(rate * 10, windows).astype(float)
    spikes = rng.random(windows) < 0.002  # rare one-window spikes the downsampling must keep
    frame = {"start_s": start, "started": per_window, "finished": per_window, "started_per_s": per_window / 10,
             "finished_per_s": per_window / 10, "goodput_per_s": per_window / 10 * 0.99,
             "events_per_s": per_window * 6}
    for metric, base in (("ttft", 0.25), ("itl", 0.02), ("e2e", 2.0)):
        for p, factor in (("p50", 1.0), ("p95", 1.6), ("p99", 2.2)):
            frame[f"{metric}_{p}"] = base * factor * rng.lognormal(0, 0.05, windows) * np.where(spikes, 5, 1)
    errors = pd.DataFrame({"http_error": rng.poisson(0.5, windows), "timeout": rng.poisson(0.1, windows)})
    seconds = int(hours * 3600)
    origin = 1_800_000_000.0
    t = origin + np.arange(seconds, dtype=float)
    desired = np.clip(np.round(6 + 4 * np.sin(np.arange(seconds) / 1800)), 3, 20)
    hpa = pd.DataFrame({"time": t, "name": "agentflow", "desired_replicas": desired,
                        "current_replicas": np.r_[desired[:15], desired[:-15]]})
    deployments = pd.DataFrame({"time": t, "name": "agentflow", "ready": np.r_[desired[:30], desired[:-30]]})
    pdb = pd.DataFrame({"time": t, "name": "agentflow", "disruptions_allowed": np.maximum(desired - 2, 0),
                        "current_healthy": desired, "desired_healthy": 2.0})
    node_t = t[::10]
    nodes = pd.DataFrame({"time": np.repeat(node_t, 12), "node": np.tile([f"node-{i}" for i in range(12)],
                          len(node_t)), "unschedulable": rng.random(len(node_t) * 12) < 0.05})
    mark_start = origin + np.sort(rng.uniform(0, seconds - 120, 48))
    marks = pd.DataFrame({"activity": [f"fault-{i}" for i in range(48)], "start": mark_start,
                          "end": mark_start + 60})
    cluster = ClusterData(Path("."), {"hpa": hpa, "deployments": deployments, "pdb": pdb, "nodes": nodes}, marks,
                          {}, {}, None, None)
    stages = pd.DataFrame({"start_s": [0.0], "end_s": [hours * 3600], "users": [None], "rate": [rate]},
                          index=pd.Index(["soak"], name="stage"))
    a = SimpleNamespace(windows=pd.DataFrame(frame), errors=errors, stages=stages, window_s=10.0, cluster=cluster,
                        run=SimpleNamespace(origin=origin), stage_spans=[("soak", 0.0, hours * 3600)])
    a.mark_spans = [(r.activity, r.start - origin, r.end - origin) for r in marks.itertuples()]
    return a


def timeline_page(analysis: SimpleNamespace) -> str:
    from importlib import resources

    from analysis.report.html import STYLE
    from analysis.report.timeline import timeline_json
    from analysis.report.vendor import asset

    own = resources.files("analysis.report")
    return "".join([
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>", STYLE, asset("uplot/uPlot.min.css"),
        own.joinpath("timeline.css").read_text(), "</style></head><body><section id='timeline'>",
        "<button id='timeline-reset'>reset</button><div id='timeline-charts'></div>",
        f"<script type='application/json' id='timeline-data'>{timeline_json(analysis)}</script></section>",
        f"<script>{asset('uplot/uPlot.iife.min.js')}</script><script>{own.joinpath('timeline.js').read_text()}",
        "</script></body></html>"])


def render_times(page: Path, profile: Path, repeat: int) -> tuple[list[float], int]:
    """Milliseconds from navigation start to every chart drawn, per fresh page; and the points drawn."""
    from cdp import Browser

    times, points = [], 0
    with Browser(shutil.which("chromium") or "/usr/bin/chromium", profile, timeout=60) as browser:
        for _ in range(repeat):
            browser.open(page.as_uri(), 1400, 900)
            browser.wait_for("document.getElementById('timeline').getAttribute('data-ready')", timeout=60)
            times.append(browser.evaluate("afTimeline.renderedMs"))
            points = browser.evaluate("afTimeline.plots.reduce((n, p) => n + p.data[0].length"
                                      " * (p.data.length - 1), 0)")
            assert not browser.console_errors(), browser.console_errors()
    return times, points


def bench_report(args: argparse.Namespace) -> None:
    from bench_report import generate

    from analysis.report import build_report

    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        started = time.monotonic()
        generate(work / "run", args.streams)
        generated = time.monotonic() - started
        started = time.monotonic()
        outcome = build_report(work / "run")
        built = time.monotonic() - started
        times, points = render_times(outcome.report_html, work / "profile", args.repeat)
        size = outcome.report_html.stat().st_size
        print(f"report: {args.streams:,} streams (generated in {generated:.0f} s, report built in {built:.1f} s), "
              f"report.html {size / 1e6:.2f} MB, {points:,} points drawn")
        print(f"report timeline render (navigation start -> every chart drawn), {len(times)} runs: median "
              f"{statistics.median(times):.0f} ms, range {min(times):.0f}..{max(times):.0f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_timeline(args: argparse.Namespace) -> None:
    started = time.monotonic()
    analysis = soak_analysis(args.hours, args.rate)
    html = timeline_page(analysis)
    build_s = time.monotonic() - started
    work = Path(tempfile.mkdtemp(prefix="bench-timeline-"))
    try:
        page = work / "timeline.html"
        page.write_text(html)
        times, points = render_times(page, work / "profile", args.repeat)
        streams = int(analysis.windows["started"].sum())
        print(f"timeline: {args.hours:g} h soak, {streams:,} streams, {len(analysis.windows):,} windows, "
              f"{len(analysis.cluster.frames['hpa']):,} cluster samples -> {points:,} points drawn, "
              f"HTML {len(html.encode()) / 1e6:.2f} MB (built in {build_s:.1f} s)")
        print(f"timeline render (navigation start -> every chart drawn), {len(times)} runs: median "
              f"{statistics.median(times):.0f} ms, range {min(times):.0f}..{max(times):.0f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_trend(args: argparse.Namespace) -> None:
    from test_trend import night

    from analysis.trend_cli import trend_command

    work = Path(tempfile.mkdtemp(prefix="bench-trend-"))
    try:
        runs = work / "runs"
        real = [night(runs, args.runs - 8 + i, slower=0.12 if i == 7 else 0.0) for i in range(8)]
        template = json.loads((real[0] / "report" / "summary.json").read_text())
        manifest = json.loads((real[0] / "manifest.json").read_text())
        rng = np.random.default_rng(3)
        for i in range(args.runs - 8):
            run = runs / f"20261125T170000Z-copy{i:03d}"
            (run / "report").mkdir(parents=True)
            (run / "manifest.json").write_text(json.dumps({**manifest, "started": manifest["started"] - (
                args.runs - 8 - i) * 86_400}))
            summary = json.loads(json.dumps(template))
            summary["run"]["started"] = manifest["started"] - (args.runs - 8 - i) * 86_400
            for row in summary["metrics"]["latency_s"]:
                for p in ("p50", "p95", "p99"):
                    if isinstance(row.get(p), float):
                        row[p] *= float(rng.normal(1, 0.03))
            (run / "report" / "summary.json").write_text(json.dumps(summary))
        times = []
        for k in range(args.repeat):
            started = time.monotonic()
            code = trend_command([runs], work / f"out{k}")
            times.append(time.monotonic() - started)
        print(f"trend over {args.runs} runs (exit {code}): median {statistics.median(times):.2f} s, range "
              f"{min(times):.2f}..{max(times):.2f} s over {len(times)} runs")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="?", default="both", choices=("timeline", "report", "trend", "both"))
    parser.add_argument("--streams", type=int, default=10_000_000)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=350.0)
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.which in ("timeline", "both"):
        bench_timeline(args)
    if args.which == "report":
        bench_report(args)
    if args.which in ("trend", "both"):
        bench_trend(args)


if __name__ == "__main__":
    main()
