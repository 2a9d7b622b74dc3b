"""The levels of `afsuite sweep` and its results.

A level runs `python -m loadtests.sweep` (gevent lives there only) with `streams per pod x replicas` closed-loop
users against the service for `seconds`, while `PodCpu` reads each pod's CPU from the cluster's pod metrics.
The sweep stops by itself at the first level that breaks the SLO (the knee: beyond it latency only grows,
guidellm's over-saturation rule), at the top level, when the next level would not end inside the time budget, or
when the load process used more than GENERATOR_LIMIT of a core (the generator saturated: INVALID).
Results: `sweep.json` (every level, the verdict), `sweep.md` (table and formulas), `sweep.png` (the curve).
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.capacity import LevelStats, SweepSlos, knee, level_stats
from analysis.checks.result import CheckResult
from analysis.report.atomic import write_atomic
from analysis.report.sweep_plot import sweep_plot
from harness.sweep_cluster import PodCpu

GENERATOR_LIMIT = 0.90  # the load process's CPU share above which a level's latency is the client's (INVALID)
COLUMNS = ["endpoint", "sent", "first_token", "end", "outcome", "error", "pod", "expected_s"]


@dataclass
class Plan:
    """What the sweep runs: per-pod levels, replicas, level length, where and against what."""

    levels: list[int]
    replicas: int
    seconds: float
    profile: str
    url: str
    api_key: str | None
    directory: Path
    deadline: float  # time.monotonic() after which no level may still run
    per_pod: dict[int, dict[str, float]] = field(default_factory=dict)
    concurrency: dict[int, int] = field(default_factory=dict)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_level(plan: Plan, per_pod: int) -> tuple[pd.DataFrame, float]:
    """The level's streams and the load process's CPU share (CPU seconds / wall seconds, one core = 1.0)."""
    users = per_pod * plan.replicas
    out = plan.directory / f"level-{per_pod}.jsonl"
    env = {**os.environ, "AGENTFLOW_API_KEY": plan.api_key or ""}
    cpu0, t0 = _children_cpu(), time.monotonic()
    cmd = [sys.executable, "-m", "loadtests.sweep", "--url", plan.url, "--users", str(users), "--seconds",
           str(plan.seconds), "--profile", plan.profile, "--out", str(out)]
    bound = max(30.0, plan.deadline - time.monotonic())
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=bound)
    except subprocess.TimeoutExpired:  # run() killed it; the sweep's time bound holds
        raise RuntimeError(f"sweep level {per_pod}/pod: the load process was still running when the time budget "
                           f"ran out ({bound:.0f} s left); raise --budget or lower --step-seconds") from None
    if proc.returncode != 0:
        raise RuntimeError(f"sweep level {per_pod}/pod: the load process failed ({proc.stderr.strip()[-300:]})")
    generator = (_children_cpu() - cpu0) / max(time.monotonic() - t0, 1e-9)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
    frame = pd.DataFrame(rows, columns=COLUMNS).astype({"sent": float, "first_token": float, "end": float,
                                                         "expected_s": float})
    return frame, generator


def sweep_levels(plan: Plan, cpu: PodCpu, echo: Callable[[str], None]) -> tuple[list[LevelStats], str]:
    """Run the levels until one of the stops in the module docstring; (levels, why the generator saturated or
    "")."""
    done: list[LevelStats] = []
    last_took = plan.seconds + 15.0  # a first guess at a level's wall time (window + its streams' tails)
    for per_pod in plan.levels:
        left = plan.deadline - time.monotonic()
        if left < last_took:
            echo(f"sweep: {left:.0f} s of the budget left, a level takes ~{last_took:.0f} s; stopping before "
                 f"{per_pod} streams per pod")
            break
        users = per_pod * plan.replicas
        echo(f"sweep: level {per_pod} streams/pod ({users} concurrent over {plan.replicas} pods) for "
             f"{plan.seconds:g} s ...")
        started, wall0 = time.monotonic(), time.time()
        cpu.start()
        try:
            rows, generator = run_level(plan, per_pod)
        finally:
            cpu.stop()
        last_took = time.monotonic() - started
        util, pods = cpu.utilization(wall0, wall0 + plan.seconds)
        stats = level_stats(per_pod, rows, util, SweepSlos())
        plan.per_pod[per_pod], plan.concurrency[per_pod] = pods, users
        done.append(stats)
        spread = ", ".join(f"{pod} {u:.0%}" for pod, u in sorted(pods.items())) or "no pod metrics"
        echo(f"sweep: {per_pod:4d}/pod: {stats.streams} streams, TTFT p99 {stats.ttft_p99:.2f} s, E2E p99 "
             f"{stats.e2e_p99:.2f}{'x' if stats.stretch else ' s'}, errors {stats.error_rate:.1%}, CPU {util:.0%} of "
             f"request ({spread}), generator {generator:.0%} of a core, {last_took:.0f} s: "
             f"{'; '.join(stats.broken) or 'SLO held'}")
        if generator > GENERATOR_LIMIT:
            saturated = (f"the load generator used {generator:.0%} of a core at {users} concurrent streams (limit "
                         f"{GENERATOR_LIMIT:.0%}): latency there measures the client, not the pods")
            echo(f"sweep: {saturated}; stopping")
            return done, saturated
        if math.isnan(util):
            echo(f"sweep: no pod metrics in the level ({'; '.join(cpu.errors[-1:]) or 'none served'}); stopping")
            return done, ""
        if knee(done)[1] is not None:
            echo(f"sweep: the SLO broke at {per_pod} streams per pod (the knee); stopping")
            break
    return done, ""


def markdown(levels: list[LevelStats], plan: Plan, result: CheckResult, about: str) -> str:
    lines = [f"# Capacity sweep ({about})", "", f"**{result.name}: {result.verdict.upper()}** - "
             f"{result.evidence.sentence}", "",
             "| streams/pod | concurrent | recorded | TTFT p99 | E2E p99 | errors | CPU/request (mean of pods) | SLO |",
             "|---|---|---|---|---|---|---|---|"]
    for lv in levels:
        e2e = f"{lv.e2e_p99:.2f}x" if lv.stretch else f"{lv.e2e_p99:.2f} s"
        lines.append(f"| {lv.users} | {plan.concurrency.get(lv.users, '')} | {lv.streams} | {lv.ttft_p99:.2f} s | "
                     f"{e2e} | {lv.error_rate:.1%} | {lv.cpu_util:.0%} | {'; '.join(lv.broken) or 'held'} |")
    lines += ["", f"Formulas: streams per pod = concurrent streams / replicas ({plan.replicas}, held: the HPA's min = "
              "max); TTFT = first content event - sent; E2E stretch = (end - sent) / expected run length (agent "
              "runs); CPU/request = the mean over pods of metrics.k8s.io PodMetrics CPU (samples whose window lies "
              "in the level) / the pod's CPU request, what the HPA reads; the knee is the first level breaking an "
              "SLO; the verdict passes when CPU/request at the last level within the SLO >= HPA target x "
              "(1 + margin).", ""]
    return "\n".join(lines)


def write_results(directory: Path, report: dict, levels: list[LevelStats], plan: Plan, result: CheckResult,
                  about: str, target: float) -> None:
    """sweep.json, sweep.md and sweep.png, each written atomically."""
    report["levels"] = [{**lv.to_dict(), "concurrency": plan.concurrency.get(lv.users),
                         "cpu_per_pod": plan.per_pod.get(lv.users, {})} for lv in levels]
    write_atomic(directory / "sweep.json", json.dumps(report, indent=2, default=_nan).encode())
    write_atomic(directory / "sweep.md", markdown(levels, plan, result, about).encode())
    png = sweep_plot(levels, target)
    if png is not None:
        write_atomic(directory / "sweep.png", png)


def _nan(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else str(value)
