"""`make demo` / `afsuite demo`: the embedded local cluster (AgentFlow reference-server pods behind a service
proxy; fast time scale, CPU scale 10 so the HPA answers the load step with policy-limited steps), one timed
stream per endpoint, then the `pre-release` campaign against it (load step up that the HPA must answer, pod
kill, node drain, zone drain, load drop and scale-down, the observer throughout) and its report. Every process
it started is stopped at the end and the report path is printed. `--campaign` picks another campaign file,
`--profile` runs a bare load profile instead (no faults)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from analysis.cli import report_command
from harness.campaign import CampaignError, load_campaign
from harness.campaign_cmd import run_campaign
from harness.probe import probe_all
from harness.soak import observed_load
from harness.targets import local_target
from localcluster.handle import LocalCluster
from localcluster.workload.timescale import LAPTOP_CPU_SCALE


def demo_command(
    campaign: str = typer.Option("pre-release", help="campaign to run (campaigns/)"),
    profile: str | None = typer.Option(None, help="run this load profile alone instead of a campaign"),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="run directory (default: new under runs/)"),
) -> None:
    """Local cluster up, one stream per endpoint, the pre-release campaign, the report; everything stopped."""
    try:
        camp = load_campaign(campaign) if profile is None else None
    except CampaignError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    started = time.monotonic()
    typer.echo("starting the local cluster (3 zones x 7 nodes, AgentFlow production settings, fast time scale, "
               f"CPU scale {LAPTOP_CPU_SCALE:g}) ...")
    with LocalCluster(time_scale="fast", cpu_scale=LAPTOP_CPU_SCALE) as lc:
        typer.echo(f"local cluster pid {lc.pid}: service {lc.service_url}, kubeconfig {lc.kubeconfig} "
                   f"(context {lc.context})")
        for result in probe_all(lc.service_url, lc.api_key):
            typer.echo(result.line())
        target = local_target(lc.state_dir)  # what `afsuite campaign --state-dir` would use
        if camp is not None:
            directory, code = run_campaign(camp, target, run_dir)
        else:
            directory = observed_load(target, profile, run_dir)
            code = report_command(directory)
    typer.echo(f"local cluster stopped; nothing left running ({time.monotonic() - started:.0f} s in all)")
    typer.echo(f"report: {directory / 'report' / 'report.html'}")
    raise typer.Exit(code)
