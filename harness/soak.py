"""`make soak DURATION=8h` / `afsuite soak --duration 8h`: the nightly soak. The `soak` load profile (its soak
stage lasting DURATION) with the cluster observer recording, then the report; against `--target FILE`, or
otherwise an embedded local cluster started for the run and stopped after it.

Memory stays bounded however long it runs: stream rows leave Locust in batches for `streams.parquet` (the
sink holds one batch), inter-event gaps are kept as a per-stream summary plus a fixed-size pooled sample, and
the observer writes its samples to `cluster/*.parquet` batch by batch."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from analysis.cli import report_command
from harness.chaos_cmd import RUN_DIR
from harness.load import run_load
from harness.observer import Observer
from harness.target import Target
from harness.targets import TargetError, local_target, resolve_target
from loadtests.profiles import ProfileError, load_profile
from loadtests.rundir import resolve_run_dir
from localcluster.handle import LocalCluster


def observed_load(target: Target, profile: str, run_dir: Path | None, *, duration: str | None = None) -> Path:
    """One load profile against ``target`` with the observer throughout; the run directory."""
    load_profile(profile, duration=duration)  # a bad profile or duration fails before anything starts
    directory = resolve_run_dir(run_dir, profile)
    observer = Observer(target, directory)
    observer.start()
    try:
        run_load(profile, target.service_url, directory, duration=duration, api_key=target.api_key(),
                 echo=typer.echo)
    finally:
        observer.stop()
    return directory


def soak_command(
    duration: str = typer.Option("1h", "--duration", help="length of the soak stage (e.g. 30m, 8h)"),
    profile: str = typer.Option("soak", help="a profile with exactly one soak stage"),
    target: Path | None = typer.Option(None, "--target", help="target file (YAML); default: a local cluster "
                                       "started for this run"),
    run_dir: Path | None = RUN_DIR,
) -> None:
    """The nightly soak: load for DURATION with the observer, then the report (exit 1 on a failed check)."""
    with contextlib.ExitStack() as stack:
        try:
            load_profile(profile, duration=duration)
            if target is not None:
                tgt = resolve_target(target, None)
            else:
                typer.echo("soak: starting an embedded local cluster (fast time scale) for the run ...")
                lc = stack.enter_context(LocalCluster(time_scale="fast"))
                tgt = local_target(lc.state_dir)
            directory = observed_load(tgt, profile, run_dir, duration=duration)
        except (ProfileError, TargetError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    code = report_command(directory)
    typer.echo(f"report: {directory / 'report' / 'report.html'}")
    raise typer.Exit(code)
