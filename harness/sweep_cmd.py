"""`afsuite sweep PROFILE`: how many concurrent streams one AgentFlow pod holds within the SLO, and whether the
HPA's CPU target comes before that knee (analysis/capacity.py has the formulas and the verdict).

Where: by default a fresh local cluster started for this sweep (`--variant`, fast time scale, `--cpu-scale`),
stopped at the end; `--state-dir DIR` the local cluster running from DIR; `--target FILE` the cluster a target
file names. The workload is held at `--replicas` (harness/sweep_cluster.py: the HPA's min = max, put back at
the end; on a cluster that is not the local one only with `--hold-hpa`), traffic goes through the cluster's
service, CPU per pod comes from the cluster's pod metrics (what the HPA reads), and streams per pod =
concurrency / replicas. The levels and their stops are in harness/sweep_levels.py; the whole sweep, cluster
start included, stays inside `--budget` seconds. A dry run (`--dry-run`, AFSUITE_DRY_RUN, the target's
`dry_run`) starts nothing and changes nothing: it prints the plan.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import httpx
import typer
from kubernetes.client.rest import ApiException

from analysis import exitcodes
from analysis.capacity import hpa_target_check
from experiments.afchaos.controls import children
from harness import processes, runs
from harness.preflight import check_host, check_target, free_run_dir, run_policy
from harness.signals import OrderlyStop
from harness.sweep_cluster import (
    Kube,
    PodCpu,
    Workload,
    guard_env,
    hold,
    is_local_cluster,
    read_workload,
    restore,
    wait_held,
)
from harness.sweep_levels import Plan, sweep_levels, write_results
from harness.target import Target
from harness.targets import local_target, resolve_target
from localcluster.handle import LocalCluster
from localcluster.workload.timescale import LAPTOP_CPU_SCALE
from localcluster.workload.variants import VARIANTS

DEFAULT_LEVELS = "2,4,8,16,32,64,96,128"


def _parse_levels(levels: str) -> list[int]:
    try:
        steps = [int(x) for x in levels.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"{levels!r}: expected whole numbers separated by commas",
                                 param_hint="--levels") from None
    if not steps or steps != sorted(steps) or steps[0] < 1:
        raise typer.BadParameter("expected ascending levels >= 1, e.g. 4,8,16", param_hint="--levels")
    return steps


def _service_reaches(url: str, pods: list[str], timeout: float) -> None:
    """Until requests through the service have reached every held pod (the local cluster's proxy learns endpoints
    late; its pods, the reference server, name themselves in X-AgentFlow-Pod). Without that header (real
    AgentFlow) one healthy answer is all that can be known."""
    deadline, seen = time.monotonic() + timeout, set[str]()
    while not set(pods) <= seen:
        with contextlib.suppress(httpx.HTTPError):
            resp = httpx.get(url + "/health", timeout=2.0)
            if resp.status_code == 200 and "X-AgentFlow-Pod" not in resp.headers:
                return
            seen.add(resp.headers.get("X-AgentFlow-Pod", ""))
        if time.monotonic() > deadline:
            raise RuntimeError(f"the service {url} reached only {sorted(seen - {''})} of {pods} in {timeout:.0f} s")
        time.sleep(0.1)  # poll interval of a deadline-bounded wait


def _fresh_cluster(stack: contextlib.ExitStack, variant: str, cpu_scale: float, directory: Path) -> Target:
    typer.echo(f"sweep: starting a local cluster (variant {variant}, fast time scale, CPU scale {cpu_scale:g}) ...")
    lc = stack.enter_context(LocalCluster(variant=variant, time_scale="fast", cpu_scale=cpu_scale, timeout=180.0))
    children.record(directory, lc.pid, "local cluster (sweep)")
    typer.echo(f"sweep: local cluster pid {lc.pid}, service {lc.service_url}")
    return local_target(lc.state_dir)


def _hold(stack: contextlib.ExitStack, tgt: Target, replicas: int, hold_hpa: bool) -> tuple[Kube, Workload]:
    """The workload read, held at `replicas` (put back when `stack` closes) and Ready behind the service."""
    kube = Kube(tgt)
    stack.callback(kube.close)
    work = read_workload(kube, tgt)

    def put_back() -> None:  # only what `hold` did (work.changed), so it may be registered before it
        try:
            restore(kube, work, typer.echo)
        except Exception as exc:  # said, with what to do; the run's other cleanup goes on
            typer.echo(f"sweep: could not put back {work.changed} of {work.namespace}/{work.deployment} ({exc}); "
                       "`afsuite recover` puts a held HPA back, or restore its minReplicas/maxReplicas by hand",
                       err=True)

    stack.callback(put_back)
    hold(kube, work, replicas, is_local_cluster(kube) or hold_hpa, typer.echo)
    pods = wait_held(kube, work, replicas, 180.0, typer.echo)
    _service_reaches(tgt.service_url, pods, 60.0)
    return kube, work


def sweep_command(
    profile: str = typer.Argument("sweep", help="load profile of every level (loadtests/profiles)"),
    variant: str | None = typer.Option(None, help="workload variant of the fresh local cluster (default good)"),
    replicas: int = typer.Option(2, help="pods the workload is held at during the sweep"),
    target: Path | None = typer.Option(None, "--target", help="sweep the cluster of this target file"),
    state_dir: Path | None = typer.Option(None, "--state-dir", help="sweep the local cluster running from here"),
    hold_hpa: bool = typer.Option(False, "--hold-hpa", help="allow holding the HPA on a cluster that is not the "
                                  "local one (its min/max are put back at the end)"),
    cpu_scale: float = typer.Option(LAPTOP_CPU_SCALE, help="CPU scale of the fresh local cluster (make demo's; "
                                    "a running cluster's own scale is used and stated)"),
    levels: str = typer.Option(DEFAULT_LEVELS, help="streams per pod per level, comma-separated, ascending"),
    step_seconds: float = typer.Option(30.0, help="seconds each level starts streams"),
    budget: float = typer.Option(540.0, help="seconds for the whole sweep; no level starts that would end later"),
    margin: float = typer.Option(0.10, help="the HPA target must come this much (relative) before the knee"),
    run_dir: Path | None = typer.Option(None, help="where sweep.json/sweep.md go (default runs/<time>-sweep)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the plan; start and change nothing"),
) -> None:
    """Step concurrency against the held workload until the SLO breaks; judge capacity.hpa_target."""
    if variant is not None and variant not in VARIANTS:
        raise typer.BadParameter(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}",
                                 param_hint="--variant")
    if variant is not None and (target or state_dir):
        raise typer.BadParameter("a running cluster's variant is chosen when it starts (`afsuite cluster up "
                                 "--variant`); leave --variant out with --target/--state-dir", param_hint="--variant")
    if replicas < 1:
        raise typer.BadParameter(f"expected >= 1, got {replicas}", param_hint="--replicas")
    steps = _parse_levels(levels)
    started = time.monotonic()
    with OrderlyStop() as stop, contextlib.ExitStack() as stack:
        try:
            tgt = resolve_target(target, state_dir) if (target or state_dir) else None
            policy = run_policy(tgt, dry_run)
            if tgt is not None:
                check_target(tgt, policy)
            directory = runs.claim(free_run_dir(run_dir), "sweep")
        except runs.BEFORE_START as exc:
            raise typer.Exit(runs.failure_code(exc)) from None
        if policy.dry_run:
            typer.echo(f"DRY RUN: would hold {tgt.name if tgt else 'a fresh local cluster'}'s workload at {replicas} "
                       f"replicas and run {len(steps)} levels of {step_seconds:g} s ({steps} streams per pod) with "
                       f"profile {profile}; nothing started, nothing changed ({directory})")
            raise typer.Exit(exitcodes.PASS)
        processes.record_self(directory)  # `afsuite recover` tells a killed sweep by it and stops its cluster
        try:
            if tgt is None:
                tgt = _fresh_cluster(stack, variant or "good", cpu_scale, directory)
                policy = run_policy(tgt)
            check_host(tgt.service_url, policy, f"target {tgt.name}: service_url")
            stack.enter_context(guard_env(tgt, policy, str(directory)))
            kube, work = _hold(stack, tgt, replicas, hold_hpa)
            plan = Plan(steps, replicas, step_seconds, profile, tgt.service_url, tgt.api_key(), directory,
                        started + budget)
            done, saturated = sweep_levels(plan, PodCpu(kube, work), typer.echo)
        except runs.BEFORE_START as exc:
            code = runs.failure_code(exc)
            stack.close()
            raise typer.Exit(code) from None
        except KeyboardInterrupt:
            typer.echo(f"sweep: stopped ({stop.received or 'interrupted'}); putting the workload back")
            stack.close()
            raise typer.Exit(exitcodes.INTERRUPTED) from None
        except (RuntimeError, ApiException) as exc:
            typer.echo(f"sweep: {_why(exc)}", err=True)
            stack.close()
            raise typer.Exit(exitcodes.FAIL) from None
        about = f"{variant or tgt.name}, {replicas} replicas, CPU scale {tgt.cpu_scale:g}"
        stack.close()  # the workload put back and a fresh cluster stopped before the verdict is printed
    result = hpa_target_check(done, work.hpa_target, margin)
    if saturated:
        result = result.invalidated(saturated)
    took = time.monotonic() - started
    report = {"target": tgt.name, "variant": variant, "replicas": replicas, "cpu_scale": tgt.cpu_scale,
              "cpu_request_m": work.cpu_request_m, "hpa_target": work.hpa_target, "profile": profile,
              "step_seconds": step_seconds, "took_s": took, "check": result.to_dict()}
    write_results(directory, report, done, plan, result, about, work.hpa_target)
    typer.echo(f"{result.name}: {result.verdict.upper()} - {result.evidence.sentence}")
    typer.echo(f"sweep: {directory / 'sweep.md'} ({took:.0f} s, everything it started stopped)")
    raise typer.Exit(exitcodes.BY_VERDICT.get(result.verdict, exitcodes.FAIL))


def _why(exc: Exception) -> str:
    """One line for a failed sweep: the API's own message for a refused request (e.g. 403: which verb on which
    resource the sweep's identity lacks)."""
    if isinstance(exc, ApiException):
        from experiments.afchaos.k8s import status_message

        return f"the Kubernetes API answered {exc.status}: {status_message(exc)}"
    return str(exc)
