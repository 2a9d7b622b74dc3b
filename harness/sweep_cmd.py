"""`afsuite sweep PROFILE`: how many concurrent streams one AgentFlow pod holds within the SLO, and whether the
HPA's CPU target comes before that knee (analysis/capacity.py has the formulas and the verdict).

The pod is the workload variant's pod template run as one process, as the local cluster's kubelet runs it (the
same container args, its CPU request, the HPA's CPU target from the variant's manifests): a fixed single
replica, no HPA in the way. Each level runs `python -m loadtests.sweep` with that many closed-loop users for
`--step-seconds`; the pod's CPU in the level is read from /proc and scaled by `--cpu-scale` like the kubelet's
resource metrics. The sweep stops by itself at the first level that breaks the SLO (the knee: beyond it latency
only grows, guidellm's over-saturation rule), at the top level, at `--budget` seconds, or when the load process
used more than GENERATOR_LIMIT of a core (the generator saturated: the verdict is then INVALID).
Results: `<run-dir>/sweep.json` (every level and the verdict), `sweep.md` (a table and the formulas) and
`sweep.png` (the curve: latency against the SLO, CPU against the HPA target, the knee).
"""

from __future__ import annotations

import json
import math
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import typer

from analysis import exitcodes
from analysis.capacity import LevelStats, SweepSlos, hpa_target_check, knee, level_stats
from analysis.report.atomic import write_atomic
from analysis.report.sweep_plot import sweep_plot
from localcluster.agentflow.process import ReferenceServer
from localcluster.workload.manifests import find, load_manifests
from localcluster.workload.timescale import LAPTOP_CPU_SCALE
from localcluster.workload.variants import VARIANTS, apply_variant

DEFAULT_LEVELS = "2,4,8,16,32,64,96,128"
GENERATOR_LIMIT = 0.90  # the load process's CPU share above which a level's latency is the client's (INVALID)


def _pod_template(variant: str) -> tuple[list[str], float, float]:
    """(container args, CPU request in cores, HPA CPU target as a fraction) of the variant's workload."""
    docs = apply_variant(variant, load_manifests())
    dep, hpa = find(docs, "Deployment"), find(docs, "HorizontalPodAutoscaler")
    container = dep["spec"]["template"]["spec"]["containers"][0] if dep else {}
    cpu = str(((container.get("resources") or {}).get("requests") or {}).get("cpu", "500m"))
    request = float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    target = 0.70
    for metric in ((hpa or {}).get("spec") or {}).get("metrics") or []:
        res = metric.get("resource") or {}
        if res.get("name") == "cpu":
            target = float(res["target"]["averageUtilization"]) / 100
    return [str(a) for a in container.get("args") or []], request, target


def _wait_ready(url: str, timeout: float) -> None:
    """Until /ready answers 200 (the pod's warm-up), as the kubelet's readiness probe would."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url + "/ready", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the swept pod at {url} did not become ready within {timeout:g} s")
        time.sleep(0.2)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_level(srv: ReferenceServer, key: str, users: int, seconds: float, profile: str,
               out: Path) -> tuple[pd.DataFrame, float]:
    """The level's streams and the load process's CPU share (CPU seconds / wall seconds, one core = 1.0)."""
    env = {**os.environ, "AGENTFLOW_API_KEY": key}
    cpu0, t0 = _children_cpu(), time.monotonic()
    cmd = [sys.executable, "-m", "loadtests.sweep", "--url", srv.url, "--users", str(users), "--seconds",
           str(seconds), "--profile", profile, "--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 400)
    if proc.returncode != 0:
        raise RuntimeError(f"sweep level {users}: the load process failed ({proc.stderr.strip()[-300:]})")
    generator = (_children_cpu() - cpu0) / max(time.monotonic() - t0, 1e-9)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
    return pd.DataFrame(rows, columns=["endpoint", "sent", "first_token", "end", "outcome", "error", "pod",
                                       "expected_s"]).astype({"sent": float, "first_token": float, "end": float,
                                                              "expected_s": float}), generator


def _markdown(levels: list[LevelStats], verdict: str, sentence: str, variant: str, scale: float) -> str:
    lines = [f"# Capacity sweep ({variant}, CPU scale {scale:g})", "", f"**capacity.hpa_target: {verdict.upper()}** "
             f"- {sentence}", "", "| streams | recorded | TTFT p99 | E2E p99 | errors | CPU/request | SLO |",
             "|---|---|---|---|---|---|---|"]
    for lv in levels:
        e2e = f"{lv.e2e_p99:.2f}x" if lv.stretch else f"{lv.e2e_p99:.2f} s"
        lines.append(f"| {lv.users} | {lv.streams} | {lv.ttft_p99:.2f} s | {e2e} | {lv.error_rate:.1%} | "
                     f"{lv.cpu_util:.0%} | {'; '.join(lv.broken) or 'held'} |")
    lines += ["", "Formulas: TTFT = first content event - sent; E2E stretch = (end - sent) / expected run length "
              "(agent runs); CPU/request = process CPU seconds / wall seconds x CPU scale / CPU request; the knee "
              "is the first level breaking an SLO; the verdict passes when CPU/request at the last level within "
              "the SLO >= HPA target x (1 + margin).", ""]
    return "\n".join(lines)


def _sweep(args: list[str], steps: list[int], seconds: float, profile: str, directory: Path, cpu_factor: float,
           budget: float) -> tuple[list[LevelStats], str]:
    """Run the levels against one pod until the knee, the top level, the budget or a saturated generator;
    returns the levels and, when the generator saturated, why (else "")."""
    key = secrets.token_hex(16)
    done: list[LevelStats] = []
    started = time.monotonic()
    with ReferenceServer(api_key=key, pod_name="sweep-pod", args=args, ready_timeout=30.0) as srv:
        _wait_ready(srv.url, 30.0)
        for users in steps:
            if time.monotonic() - started > budget:
                typer.echo(f"sweep: budget of {budget:g} s spent; stopping before {users} streams")
                break
            cpu0, t0 = _cpu_seconds(srv.pid), time.monotonic()
            rows, generator = _run_level(srv, key, users, seconds, profile, directory / f"level-{users}.jsonl")
            util = (_cpu_seconds(srv.pid) - cpu0) / max(time.monotonic() - t0, 1e-9) * cpu_factor
            stats = level_stats(users, rows, util, SweepSlos())
            done.append(stats)
            typer.echo(f"sweep: {users:4d} streams: {stats.streams} recorded, TTFT p99 {stats.ttft_p99:.2f} s, "
                       f"E2E p99 {stats.e2e_p99:.2f}{'x' if stats.stretch else ' s'}, errors "
                       f"{stats.error_rate:.1%}, CPU {util:.0%} of request: {'; '.join(stats.broken) or 'SLO held'}")
            if generator > GENERATOR_LIMIT:
                saturated = (f"the load generator used {generator:.0%} of a core at {users} streams (limit "
                             f"{GENERATOR_LIMIT:.0%}): latency there measures the client, not the pod")
                typer.echo(f"sweep: {saturated}; stopping")
                return done, saturated
            if knee(done)[1] is not None:
                break
    return done, ""


def sweep_command(
    profile: str = typer.Argument("sweep", help="load profile of every level (loadtests/profiles)"),
    variant: str = typer.Option("good", help="workload variant whose pod template is swept"),
    cpu_scale: float = typer.Option(LAPTOP_CPU_SCALE, help="CPU utilization = real process CPU x this / request, "
                                    "as the HPA of a local cluster with this --cpu-scale reads it (default: "
                                    "make demo's; 1 = real units, what a real cluster's HPA reads)"),
    levels: str = typer.Option(DEFAULT_LEVELS, help="concurrent streams per level, comma-separated, ascending"),
    step_seconds: float = typer.Option(30.0, help="seconds each level starts streams"),
    budget: float = typer.Option(540.0, help="stop starting levels after this many seconds"),
    margin: float = typer.Option(0.10, help="the HPA target must come this much (relative) before the knee"),
    run_dir: Path = typer.Option(None, help="where sweep.json/sweep.md go (default runs/<time>-sweep)"),
) -> None:
    """Step concurrency against one pod until the SLO breaks; judge capacity.hpa_target."""
    if variant not in VARIANTS:
        raise typer.BadParameter(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}",
                                 param_hint="--variant")
    try:
        steps = [int(x) for x in levels.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"{levels!r}: expected whole numbers separated by commas",
                                 param_hint="--levels") from None
    if not steps or steps != sorted(steps) or steps[0] < 1:
        raise typer.BadParameter("expected ascending levels >= 1, e.g. 4,8,16", param_hint="--levels")
    args, request, target = _pod_template(variant)
    directory = run_dir or Path("runs") / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-sweep"
    directory.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    done, saturated = _sweep(args, steps, step_seconds, profile, directory, cpu_scale / request, budget)
    result = hpa_target_check(done, target, margin)
    if saturated:
        result = result.invalidated(saturated)
    report = {"variant": variant, "cpu_scale": cpu_scale, "cpu_request": request, "hpa_target": target,
              "profile": profile, "step_seconds": step_seconds, "took_s": time.monotonic() - started,
              "check": result.to_dict()}
    write_atomic(directory / "sweep.json", json.dumps(report, indent=2, default=_nan).encode())
    write_atomic(directory / "sweep.md", _markdown(done, result.verdict, result.evidence.sentence, variant,
                                                   cpu_scale).encode())
    png = sweep_plot(done, target)
    if png is not None:
        write_atomic(directory / "sweep.png", png)
    typer.echo(f"{result.name}: {result.verdict.upper()} - {result.evidence.sentence}")
    typer.echo(f"sweep: {directory / 'sweep.md'} ({time.monotonic() - started:.0f} s)")
    raise typer.Exit(exitcodes.BY_VERDICT.get(result.verdict, exitcodes.FAIL))


def _nan(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else str(value)
