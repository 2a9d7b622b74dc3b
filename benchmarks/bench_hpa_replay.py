"""Benchmark: the HPA replay over a 24-hour soak's samples (86,400 per HPA, one a second; target < 5 s).

Method
  1. Build a 24-hour run in memory by tiling a real run's cluster samples (tests/analysis/fixtures/
     hpa-range-good: `afsuite campaign hpa-range` on the fast local cluster, 424 samples, 3 -> 20 -> 5 replicas,
     its pods and PodMetrics) back to back, each copy shifted in time and its pods renamed, until there are
     `--samples` HPA samples (default 86,400): every path of the replay is exercised (scale-ups with unready
     and missing pods, the stabilization window, the policy-limited scale-down). Not timed.
  2. Time (time.perf_counter, and time.process_time for CPU) in this process:
     - `frames+replay`: analysis.hpa_replay.frames.build_inputs (groups every pod row) then replay();
     - `replay`: replay() alone on the inputs already built.
     Each `--repeat` times (default 5); report the median and the range.
  3. Print one JSON line per measurement and a summary line.

Usage
  .venv/bin/python benchmarks/bench_hpa_replay.py                  # 86,400 samples, 5 repetitions
  .venv/bin/python benchmarks/bench_hpa_replay.py --samples 3600   # one hour
Numbers depend on the machine and on what else runs on it: say how many cores and what was sharing them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis.checks.hpa_conformance import controller_settings, settings_of  # noqa: E402
from analysis.cluster import load_cluster  # noqa: E402
from analysis.hpa_replay import replay  # noqa: E402
from analysis.hpa_replay.frames import build_inputs  # noqa: E402

FIXTURE = REPO / "tests" / "analysis" / "fixtures" / "hpa-range-good"


def tiled(samples: int):
    """The fixture's cluster data repeated back to back until the HPA has `samples` rows."""
    base = load_cluster(FIXTURE, with_streams=False)
    hpa = base.frame("hpa").sort_values("time")
    span = float(hpa["time"].max() - hpa["time"].min()) + 1.0
    copies = -(-samples // len(hpa))
    frames = {}
    for name in ("hpa", "pods", "pod_metrics", "deployments", "replicasets"):
        frame = base.frame(name)
        parts = []
        for k in range(copies):
            part = frame.copy()
            for column in ("time", "timestamp", "start_time", "ready_transition", "last_scale_time", "created",
                           "ready_since"):
                if column in part.columns:
                    part[column] = part[column] + k * span
            if "pod" in part.columns:
                part["pod"] = part["pod"].astype(str) + f"-{k}"
            parts.append(part)
        frames[name] = pd.concat(parts, ignore_index=True)
    frames["hpa"] = frames["hpa"].sort_values("time").head(samples).reset_index(drop=True)
    manifest = json.loads((FIXTURE / "manifest.json").read_text())
    return replace(base, frames={**base.frames, **frames}), manifest


def timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=86_400, help="HPA samples (one a second; 86,400 = 24 h)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cluster, manifest = tiled(args.samples)
    settings, controller = settings_of(manifest, cluster), controller_settings(manifest)
    rows = {name: len(cluster.frame(name)) for name in ("hpa", "pods", "pod_metrics")}
    results: dict[str, list[float]] = {"frames+replay": [], "replay": []}
    for run in range(args.repeat):
        wall, cpu, inputs = timed(lambda: [replay(i, settings) for i in build_inputs(cluster, controller)])
        deviations = sum(len(r.deviations) for r in inputs)
        results["frames+replay"].append(wall)
        print(json.dumps({"run": run, "what": "frames+replay", "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                          "rows": rows, "deviations": deviations}))
        built = build_inputs(cluster, controller)
        wall, cpu, _ = timed(lambda built=built: [replay(i, settings) for i in built])
        results["replay"].append(wall)
        print(json.dumps({"run": run, "what": "replay", "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}))
    summary = {what: {"median_s": round(statistics.median(v), 3), "min_s": round(min(v), 3),
                      "max_s": round(max(v), 3)} for what, v in results.items()}
    print(json.dumps({"samples": args.samples, "summary": summary, "target_s": 5.0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
