"""`afsuite chaos NAME`: run experiments/NAME.yaml with background load and the observer against the target (the
local cluster by default) into one run directory, then build the report. Exits by the report's verdict
(analysis/exitcodes.py): non-zero when the experiment deviated or failed (naming the hypothesis/probe/action),
when a check failed, when the run was interrupted, or 4 when a safety setting refused it before it started.

Before anything starts: the target, the run directory and the policy are checked, and the experiment runs once
as a dry run so that nodes outside the allowed set or a blast radius over its cap refuse the run before its
first change (`harness.preflight`). With `--dry-run` (or AFSUITE_DRY_RUN=true, or `dry_run: true` in the
target) that dry run IS the run: no observer, no load, `chaos/plan.json`, verdict DRY RUN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import typer

from analysis import exitcodes
from experiments.afchaos.policy import SafetyPolicy
from harness import live, runs
from harness.chaos_run import experiment_path, run_experiment
from harness.observer import Observer
from harness.preflight import check_target, free_run_dir, keep_plans, plan_experiments, run_policy
from harness.signals import OrderlyStop
from harness.target import Target
from harness.targets import resolve_target

TARGET = typer.Option(None, "--target", help="target file (YAML); default: the running local cluster")
RUN_DIR = typer.Option(None, "--run-dir", envvar="AFSUITE_RUN_DIR",
                       help="run directory: new or empty (default: new under runs/)")
STATE_DIR = typer.Option(None, "--state-dir", help="local cluster state directory (default: .localcluster/)")
DRY_RUN = typer.Option(False, "--dry-run", help="change nothing and send no traffic: resolve every selector, "
                       "write chaos/plan.json, verdict DRY RUN (also AFSUITE_DRY_RUN=true, or dry_run: true in "
                       "the target; the most cautious setting wins)")


def preflight(target: Target, policy: SafetyPolicy, names: Sequence[str],
              echo: Callable[[str], None] = typer.echo) -> dict[str, str]:
    """Dry-run each experiment before a real run (refusals before any change); nothing to do for a dry run."""
    if policy.dry_run:
        return {}
    dry = dataclasses.replace(policy, dry_run=True)

    def run(name: str, scratch: Path) -> None:
        run_experiment(name, target, scratch, policy=dry, extra_env={"AFSUITE_EXTERNAL_LOAD": "1"}, echo=echo,
                       quiet=True)

    return plan_experiments(names, run, echo)


def chaos_command(
    name: str = typer.Argument(..., help="experiment name under experiments/ (e.g. node-drain) or a path"),
    target: Path | None = TARGET,
    run_dir: Path | None = RUN_DIR,
    state_dir: Path | None = STATE_DIR,
    report: bool = typer.Option(True, help="build the report after the experiment"),
    dry_run: bool = DRY_RUN,
) -> None:
    """Run one Chaos Toolkit experiment with load and the observer; exit non-zero when it deviates or fails."""
    with OrderlyStop() as stop:
        try:
            tgt = resolve_target(target, state_dir)
            path = experiment_path(name)
            policy = run_policy(tgt, dry_run)
            check_target(tgt, policy)
            free_run_dir(run_dir)
            plans = preflight(tgt, policy, [str(path)])
            directory = runs.claim(run_dir, f"chaos-{path.stem}")
        except runs.BEFORE_START as exc:
            raise typer.Exit(runs.failure_code(exc)) from None
        keep_plans(plans, directory)
        code = _run(directory, tgt, path, policy, stop)
        if report:
            code = runs.judge(directory, stop) or code
    raise typer.Exit(code)


def _run(directory: Path, tgt: Target, path: Path, policy: SafetyPolicy, stop: OrderlyStop) -> int:
    runs.start(directory, policy=policy, target=tgt.to_dict(), experiments=[path.stem])
    typer.echo(f"run directory: {directory}" + (" (DRY RUN: nothing will change)" if policy.dry_run else ""))
    observer: Observer | None = None
    verdict = None
    try:  # from here on a stop finalises the run directory (a stop during the observer's set-up escaped before)
        observer = None if policy.dry_run else Observer(tgt, directory)
        if observer is not None:
            observer.start()
        with live.live_view(directory, 0.0):  # chaostoolkit's output -> chaos/<experiment>.console.log
            verdict = run_experiment(str(path), tgt, directory, policy=policy, echo=typer.echo)
    except KeyboardInterrupt:
        typer.echo("chaos: stopped; finalising the run directory")
    finally:
        fields = {}
        if observer is not None:
            fields["observer"] = {"rows": observer.stop(), "api_errors": observer.errors}
        runs.finish(directory, stop, policy, "the experiment", **fields)
    if verdict is None:
        return exitcodes.INTERRUPTED
    typer.echo(f"DRY RUN {verdict.experiment} ({verdict.status})" if policy.dry_run else verdict.line())
    return exitcodes.PASS if verdict.ok or policy.dry_run else exitcodes.FAIL
