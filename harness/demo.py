"""`make demo` / `afsuite demo`: the embedded local cluster (AgentFlow reference server pods behind a service
proxy), one timed stream per endpoint, the ~2-minute `demo` load profile with the cluster observer recording,
then the report; every process it started is stopped at the end and the report path is printed."""

from __future__ import annotations

import typer

from analysis.cli import report_command
from harness.load import run_load
from harness.observer import Observer
from harness.probe import probe_all
from harness.target import Target
from localcluster.handle import LocalCluster


def demo_command(
    profile: str = typer.Option("demo", help="load profile to run (loadtests/profiles/)"),
) -> None:
    """Local cluster up, one stream per endpoint, the demo load profile, the report; everything stopped."""
    typer.echo("starting the local cluster (3 zones x 7 nodes, AgentFlow production settings, fast time scale) ...")
    with LocalCluster(time_scale="fast") as lc:
        typer.echo(f"local cluster pid {lc.pid}: service {lc.service_url}, kubeconfig {lc.kubeconfig} "
                   f"(context {lc.context})")
        for result in probe_all(lc.service_url, lc.api_key):
            typer.echo(result.line())
        target = Target(name="local", kubeconfig=lc.kubeconfig, context=lc.context, namespace=lc.namespace,
                        service_url=lc.service_url, api_key_file=str(lc.state_dir / "api-key"))
        observer: Observer | None = None
        run_dir = None
        try:
            from loadtests.rundir import resolve_run_dir

            run_dir = resolve_run_dir(None, profile)
            observer = Observer(target, run_dir)
            observer.start()
            run_load(profile, lc.service_url, run_dir, api_key=lc.api_key, echo=typer.echo)
        finally:
            if observer is not None:
                observer.stop()
    typer.echo("local cluster stopped; nothing left running")
    if run_dir is None:
        raise typer.Exit(1)
    code = report_command(run_dir)
    typer.echo(f"report: {run_dir / 'report' / 'report.html'}")
    raise typer.Exit(code)
