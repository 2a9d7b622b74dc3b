"""`make demo` / `afsuite demo`: the reference server on loopback, one timed stream per endpoint, then stop.

This is the demo of the foundation; it grows into a load run and then the pre-release campaign as those
planes land.
"""

from __future__ import annotations

import secrets

import typer

from harness.probe import probe_all
from localcluster.agentflow.process import ReferenceServer


def demo_command() -> None:
    """Start the AgentFlow reference server, stream one request from each endpoint, print timings, stop."""
    key = secrets.token_hex(16)  # a throwaway key: never printed
    args = ["--seed", "7", "--ttft", "lognormal:median=0.2,sigma=0.3", "--itl", "const:0.02"]
    typer.echo("starting the AgentFlow reference server on 127.0.0.1 ...")
    with ReferenceServer(api_key=key, lifecycle="graceful", pod_name="demo-0", args=args) as srv:
        typer.echo(f"reference server pid {srv.pid} at {srv.url} (metrics {srv.metrics_url})")
        results = probe_all(srv.url, key)
        for r in results:
            typer.echo(r.line())
    typer.echo(f"reference server pid {srv.pid} stopped (exit code {srv.returncode})")
    if any(r.outcome != "ok" for r in results):
        raise typer.Exit(1)
