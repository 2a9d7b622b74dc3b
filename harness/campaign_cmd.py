"""`afsuite campaign NAME`: the campaign's load profile for the whole run, its experiments in order at their
times, the observer throughout, then the report; one run directory. Exits by the report's verdict
(analysis/exitcodes.py). Every refusal comes before anything starts: the target (production-looking context or
service host), the run directory, and every experiment of the campaign dry-run once, so a node outside the
allowed set or a blast radius over its cap refuses the campaign before the load sends its first stream.
SIGINT/SIGTERM/SIGHUP stop the load and the running experiment (its rollbacks run first), flush the observer
and leave a readable run directory marked INTERRUPTED. `--dry-run`: no load, no observer, every experiment as
a dry run into one `chaos/plan.json`, verdict DRY RUN.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from pathlib import Path
from typing import Any

import typer

from analysis import exitcodes
from experiments.afchaos.policy import SafetyPolicy
from harness import load as load_run
from harness import runs
from harness.campaign import BackgroundLoad, Campaign, CampaignError, load_campaign
from harness.chaos_cmd import DRY_RUN, RUN_DIR, STATE_DIR, TARGET, preflight
from harness.chaos_run import run_experiment
from harness.journal import ExperimentVerdict
from harness.load import ApiKeyRefused
from harness.observer import Observer
from harness.preflight import check_target, free_run_dir, keep_plans, run_policy
from harness.signals import OrderlyStop
from harness.target import Target
from harness.targets import resolve_target


def _wait_until(load: BackgroundLoad | None, at: float, started: float) -> None:
    while time.monotonic() - started < at and (load is None or load.alive):
        time.sleep(0.2)


def campaign_command(
    name: str = typer.Argument(..., help="campaign name under campaigns/ (e.g. pre-release) or a path"),
    target: Path | None = TARGET,
    run_dir: Path | None = RUN_DIR,
    state_dir: Path | None = STATE_DIR,
    dry_run: bool = DRY_RUN,
) -> None:
    """Run a campaign: load + experiments + observer + report into one run directory."""
    with OrderlyStop() as stop:
        try:
            camp = load_campaign(name)
            tgt = resolve_target(target or camp.target, state_dir)
        except (CampaignError, *runs.BEFORE_START) as exc:
            raise typer.Exit(runs.failure_code(exc)) from None
        _, code = run_campaign(camp, tgt, run_dir, stop=stop, dry_run=dry_run)
    raise typer.Exit(code)


def run_campaign(camp: Campaign, tgt: Target, run_dir: Path | None, *, stop: OrderlyStop,
                 dry_run: bool = False) -> tuple[Path | None, int]:
    """Check, then run ``camp`` against ``tgt`` into a new (or the given, empty) run directory;
    ``(directory, exit code)`` (no directory when it was refused before it started)."""
    try:
        policy = run_policy(tgt, dry_run)
        check_target(tgt, policy)
        free_run_dir(run_dir)
        plans = preflight(tgt, policy, [s.name for s in camp.experiments])
        directory = runs.claim(run_dir, f"campaign-{camp.name}")
    except runs.BEFORE_START as exc:
        return None, runs.failure_code(exc)
    keep_plans(plans, directory)
    runs.start(directory, policy=policy, target=tgt.to_dict(), experiments=[s.name for s in camp.experiments])
    typer.echo(f"campaign {camp.name}: run directory {directory}" + (" (DRY RUN)" if policy.dry_run else ""))
    verdicts, load_error = _execute(camp, tgt, directory, policy, stop)
    for v in verdicts if not policy.dry_run else []:
        typer.echo(v.line())
    code = exitcodes.PASS
    if load_error is not None or not all(v.ok for v in verdicts):
        code = exitcodes.FAIL
    if stop.received or policy.dry_run:
        code = exitcodes.INTERRUPTED if stop.received else exitcodes.PASS
    if camp.build_report:
        code = runs.judge(directory, stop) or code
    return directory, code


def _execute(camp: Campaign, tgt: Target, directory: Path, policy: SafetyPolicy,
             stop: OrderlyStop) -> tuple[list[ExperimentVerdict], BaseException | None]:
    """Load + observer + experiments; finalises the run directory however it ends. Everything after the run
    directory started is inside the `try`: a stop that lands while the observer or the load is being set up still
    finalises the run directory and exits INTERRUPTED (it escaped as exit 130 before)."""
    observer: Observer | None = None
    load: BackgroundLoad | None = None
    stopping = threading.Event()
    stop_load = functools.partial(load_run.stop_all, stopping=stopping)
    verdicts: list[ExperimentVerdict] = []
    phase = "the load"
    started = time.monotonic()
    try:
        observer = None if policy.dry_run else Observer(tgt, directory)
        load = None if policy.dry_run else BackgroundLoad(lambda: load_run.run_load(
            camp.profile, tgt.service_url, directory, api_key=tgt.api_key(), echo=typer.echo, stopping=stopping))
        if observer is not None:
            observer.start()
        if load is not None:
            load.start()
        for step in camp.experiments:
            _wait_until(load, 0 if policy.dry_run else step.at, started)
            if load is not None and isinstance(load.error, ApiKeyRefused):
                typer.echo(f"campaign: {load.error}; no experiment runs without its load", err=True)
                break
            phase = f"experiment {step.name}"
            typer.echo(f"campaign: t+{time.monotonic() - started:.0f} s experiment {step.name}")
            verdict = run_experiment(step.name, tgt, directory, policy=policy, echo=typer.echo,
                                     extra_env={"AFSUITE_EXTERNAL_LOAD": "1", **step.env},
                                     on_stop=stop_load)
            verdicts.append(verdict)
            typer.echo(f"DRY RUN {verdict.experiment} ({verdict.status})" if policy.dry_run else verdict.line())
        phase = "the load"
        if load is not None:
            typer.echo("campaign: experiments done; waiting for the load profile to end")
            load.join()
    except KeyboardInterrupt:
        typer.echo(f"campaign: stopped during {phase}; finalising the run directory")
    finally:
        stop_load()
        if load is not None:
            load.join(timeout=60)
        fields: dict[str, Any] = {"campaign": camp.name}
        if observer is not None:
            fields["observer"] = {"rows": observer.stop(), "api_errors": observer.errors}
        (directory / "chaos").mkdir(exist_ok=True)
        (directory / "chaos" / "verdicts.json").write_text(json.dumps(
            [{"experiment": v.experiment, "ok": v.ok, "status": v.status, "deviated": v.deviated,
              "problems": v.problems} for v in verdicts], indent=2))
        runs.finish(directory, stop, policy, phase, **fields)
    if load is not None and load.error is not None and not stop.received:
        typer.echo(f"campaign: the load run failed: {load.error}", err=True)
    return verdicts, None if load is None else load.error
