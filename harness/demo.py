"""`make demo` / `afsuite demo`: the embedded local cluster (AgentFlow reference-server pods behind a service
proxy; fast time scale, CPU scale 10 so the HPA answers the load step with policy-limited steps), one timed
stream per endpoint, then the `pre-release` campaign against it (load step up that the HPA must answer, pod
kill, node drain, zone drain, load drop and scale-down, the observer throughout) and its report. Every process
it started is stopped at the end and the report path is printed. `--campaign` picks another campaign file,
`--profile` runs a bare load profile instead (no faults)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer

from harness import runs
from harness.campaign import CampaignError, load_campaign
from harness.campaign_cmd import run_campaign
from harness.preflight import free_run_dir, run_policy
from harness.probe import probe_all
from harness.signals import OrderlyStop
from harness.soak import observed_load
from harness.target import Target
from harness.targets import local_target
from loadtests.profiles import ProfileError, load_profile
from localcluster.handle import LocalCluster
from localcluster.workload.timescale import LAPTOP_CPU_SCALE


def demo_command(
    campaign: str = typer.Option("pre-release", help="campaign to run (campaigns/)"),
    profile: str | None = typer.Option(None, help="run this load profile alone instead of a campaign"),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="run directory: new or empty (default: new under "
                                        "runs/)"),
) -> None:
    """Local cluster up, one stream per endpoint, the pre-release campaign, the report; everything stopped."""
    with OrderlyStop() as stop:
        try:
            camp = load_campaign(campaign) if profile is None else None
            free_run_dir(run_dir)
        except (CampaignError, *runs.BEFORE_START) as exc:
            raise typer.Exit(runs.failure_code(exc)) from None
        started = time.monotonic()
        typer.echo("starting the local cluster (3 zones x 7 nodes, AgentFlow production settings, fast time scale, "
                   f"CPU scale {LAPTOP_CPU_SCALE:g}) ...")
        prometheus = shutil.which("prometheus") is not None  # the report's alerts section (docs/alerts.md)
        if not prometheus:
            typer.echo("note: prometheus is not installed (apt-get install prometheus): the run records no alerts")
        with LocalCluster(time_scale="fast", cpu_scale=LAPTOP_CPU_SCALE, prometheus=prometheus) as lc:
            typer.echo(f"local cluster pid {lc.pid}: service {lc.service_url}, kubeconfig {lc.kubeconfig} "
                       f"(context {lc.context})")
            for result in probe_all(lc.service_url, lc.api_key):
                typer.echo(result.line())
            target = local_target(lc.state_dir)  # what `afsuite campaign --state-dir` would use
            if camp is not None:
                directory, code = run_campaign(camp, target, run_dir, stop=stop)
            else:
                directory, code = _load_only(target, profile or "demo", run_dir, stop)
        typer.echo(f"local cluster stopped; nothing left running ({time.monotonic() - started:.0f} s in all)")
        if directory is not None:
            typer.echo(f"report: {directory / 'report' / 'report.html'}")
    raise typer.Exit(code)


def _load_only(target: Target, profile: str, run_dir: Path | None, stop: OrderlyStop) -> tuple[Path | None, int]:
    try:
        parsed = load_profile(profile)
        policy = run_policy(target)
        directory = runs.claim(run_dir, profile)
    except (ProfileError, *runs.BEFORE_START) as exc:
        return None, runs.failure_code(exc)
    runs.start(directory, policy=policy, target=target.to_dict(), profile=parsed.to_dict())
    try:
        code = observed_load(target, profile, directory)
    finally:
        runs.finish(directory, stop, policy, "the load")
    return directory, runs.judge(directory, stop) or code
