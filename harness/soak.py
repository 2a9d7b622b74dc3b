"""`make soak DURATION=8h` / `afsuite soak --duration 8h`: the nightly soak. The `soak` load profile (its soak
stage lasting DURATION) with the cluster observer recording, then the report; against `--target FILE`, or
otherwise an embedded local cluster started for the run and stopped after it.

Memory stays bounded however long it runs: stream rows leave Locust in batches for `streams.parquet` (the
sink holds one batch), inter-event gaps are kept as a per-stream summary plus a fixed-size pooled sample, and
the observer writes its samples to `cluster/*.parquet` batch by batch. Refusals (a production-looking target,
a used run directory) come before anything starts; a signal stops it in order (see README, Safety); a dry run
sends nothing and writes the plan.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from analysis import exitcodes
from experiments.afchaos.controls import children
from harness import runs
from harness.chaos_cmd import DRY_RUN, RUN_DIR
from harness.load import ApiKeyRefused, LoadRunError, run_load
from harness.load_cmd import load_plan_entry, write_plan
from harness.observer import Observer
from harness.preflight import check_target, free_run_dir, run_policy
from harness.signals import OrderlyStop
from harness.target import Target
from harness.targets import local_target, resolve_target
from loadtests.profiles import ProfileError, load_profile
from localcluster.handle import LocalCluster


def observed_load(target: Target, profile: str, directory: Path, *, duration: str | None = None) -> int:
    """One load profile against ``target`` with the observer throughout, into the started run ``directory``;
    the exit code of the load part (0 ran, 2 the key was refused, 1 it failed, 3 stopped)."""
    observer = Observer(target, directory)
    observer.start()
    try:
        run_load(profile, target.service_url, directory, duration=duration, api_key=target.api_key(),
                 echo=typer.echo)
    except ApiKeyRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        return exitcodes.INVALID
    except LoadRunError as exc:
        typer.echo(f"error: {exc}", err=True)
        return exitcodes.FAIL
    except KeyboardInterrupt:
        typer.echo("load: stopped; finalising the run directory")
        return exitcodes.INTERRUPTED
    finally:
        observer.stop()
    return exitcodes.PASS


def soak_command(
    duration: str = typer.Option("1h", "--duration", help="length of the soak stage (e.g. 30m, 8h)"),
    profile: str = typer.Option("soak", help="a profile with exactly one soak stage"),
    target: Path | None = typer.Option(None, "--target", help="target file (YAML); default: a local cluster "
                                       "started for this run"),
    run_dir: Path | None = RUN_DIR,
    dry_run: bool = DRY_RUN,
) -> None:
    """The nightly soak: load for DURATION with the observer, then the report (exit code by its verdict)."""
    with OrderlyStop() as stop, contextlib.ExitStack() as stack:
        try:
            parsed = load_profile(profile, duration=duration)
            tgt = resolve_target(target, None) if target is not None else None
            policy = run_policy(tgt, dry_run)
            if tgt is not None:
                check_target(tgt, policy)
            free_run_dir(run_dir)
            directory = runs.claim(run_dir, profile)
        except (ProfileError, *runs.BEFORE_START) as exc:
            raise typer.Exit(runs.failure_code(exc)) from None
        runs.start(directory, policy=policy, target=tgt.to_dict() if tgt else {"name": "local (started for the run)"},
                   profile=parsed.to_dict())
        code = exitcodes.PASS
        try:
            if policy.dry_run:
                url = tgt.service_url if tgt else "a local cluster started for the run"
                write_plan(directory, [load_plan_entry(parsed, url, "soak")], policy)
            else:
                if tgt is None:
                    typer.echo("soak: starting an embedded local cluster (fast time scale) for the run ...")
                    lc = stack.enter_context(LocalCluster(time_scale="fast"))
                    children.record(directory, lc.pid, "local cluster (soak)")
                    tgt = local_target(lc.state_dir)
                code = observed_load(tgt, profile, directory, duration=duration)
        except KeyboardInterrupt:
            code = exitcodes.INTERRUPTED
        finally:
            runs.finish(directory, stop, policy, "the soak")
            stack.close()
        code = runs.judge(directory, stop) or code
    typer.echo(f"report: {directory / 'report' / 'report.html'}")
    raise typer.Exit(code)
