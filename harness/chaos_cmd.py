"""`afsuite chaos NAME`: run experiments/NAME.yaml with background load and the observer against the target (the
local cluster by default) into one run directory, then build the report. Exits non-zero when the experiment
deviated or failed (naming the hypothesis/probe/action), or when the report finds a failed check."""

from __future__ import annotations

from pathlib import Path

import typer

from analysis.cli import report_command
from harness.chaos_run import experiment_path, run_experiment
from harness.observer import Observer
from harness.targets import TargetError, resolve_target
from loadtests.rundir import complete_manifest, resolve_run_dir, start_manifest

TARGET = typer.Option(None, "--target", help="target file (YAML); default: the running local cluster")
RUN_DIR = typer.Option(None, "--run-dir", envvar="AFSUITE_RUN_DIR", help="run directory (default: new under runs/)")
STATE_DIR = typer.Option(None, "--state-dir", help="local cluster state directory (default: .localcluster/)")


def chaos_command(
    name: str = typer.Argument(..., help="experiment name under experiments/ (e.g. node-drain) or a path"),
    target: Path | None = TARGET,
    run_dir: Path | None = RUN_DIR,
    state_dir: Path | None = STATE_DIR,
    report: bool = typer.Option(True, help="build the report after the experiment"),
) -> None:
    """Run one Chaos Toolkit experiment with load and the observer; exit non-zero when it deviates or fails."""
    try:
        tgt = resolve_target(target, state_dir)
        path = experiment_path(name)
    except (TargetError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    directory = resolve_run_dir(run_dir, f"chaos-{path.stem}")
    start_manifest(directory, profile=None, target=tgt.to_dict(), experiments=[path.stem])
    typer.echo(f"run directory: {directory}")
    observer = Observer(tgt, directory)
    observer.start()
    try:
        verdict = run_experiment(str(path), tgt, directory, echo=typer.echo)
    finally:
        counts = observer.stop()
        complete_manifest(directory, observer={"rows": counts, "api_errors": observer.errors})
    typer.echo(verdict.line())
    code = 0 if verdict.ok else 1
    if report:
        code = max(code, report_command(directory))
    raise typer.Exit(code)
