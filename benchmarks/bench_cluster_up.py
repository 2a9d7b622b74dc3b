"""Benchmark: time for `python -m localcluster serve` to bring the default workload to Ready.

Method: `runs` times (default 3), start the cluster the way `afsuite cluster up` does (LocalCluster: a
subprocess in its own session, default topology 3x7, variant good, time scale fast, free ports) and
measure, from just before the process is spawned:

  * state:  until DIR/cluster.json is written (API server, nodes, controllers, kubelet, workload applied,
            service proxy listening)
  * ready:  until the Deployment is Available with 3/3 replicas Ready (what `up` waits for)
  * stop:   how long LocalCluster.stop() takes (SIGTERM, every pod process gone, checked by PID)

and print each run and the median. Target: ready < 20 s. Most of `ready` is the workload's own startup
probe (initialDelaySeconds 10, not scaled: probe timings are production's) plus Python start-up of each pod.

Run: .venv/bin/python benchmarks/bench_cluster_up.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from localcluster.handle import LocalCluster


def one_run() -> tuple[float, float, float]:
    t0 = time.monotonic()
    lc = LocalCluster(time_scale="fast", wait_ready=False, timeout=90)
    lc.start()
    t_state = time.monotonic() - t0
    try:
        lc.wait_ready(90)
        t_ready = time.monotonic() - t0
    finally:
        t1 = time.monotonic()
        leftover = lc.stop()
        t_stop = time.monotonic() - t1
    if leftover:
        raise SystemExit(f"processes left after stop: {leftover}")
    return t_state, t_ready, t_stop


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    ns = p.parse_args()
    rows = []
    for i in range(ns.runs):
        rows.append(one_run())
        print(f"run {i + 1}: state {rows[-1][0]:.2f} s  ready {rows[-1][1]:.2f} s  stop {rows[-1][2]:.2f} s")
    for k, name in enumerate(("state", "ready", "stop")):
        values = [r[k] for r in rows]
        print(f"{name:5}: median {statistics.median(values):.2f} s  min {min(values):.2f} s  max {max(values):.2f} s")


if __name__ == "__main__":
    main()
