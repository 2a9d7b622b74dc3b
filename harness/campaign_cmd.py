"""`afsuite campaign NAME`: the campaign's load profile for the whole run, its experiments in order at their
times, the observer throughout, then the report; one run directory. Exits non-zero when an experiment deviated
or failed or the report finds a failed check. Ctrl-C stops the load and still leaves a readable run directory
(each experiment's rollbacks run first)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from analysis.cli import report_command
from harness import load as load_run
from harness.campaign import BackgroundLoad, Campaign, CampaignError, load_campaign
from harness.chaos_cmd import RUN_DIR, STATE_DIR, TARGET
from harness.chaos_run import run_experiment
from harness.journal import ExperimentVerdict
from harness.observer import Observer
from harness.target import Target
from harness.targets import TargetError, resolve_target
from loadtests.rundir import complete_manifest, resolve_run_dir, start_manifest


def _wait_until(load: BackgroundLoad, at: float) -> None:
    while load.elapsed() < at and load.alive:
        time.sleep(0.2)


def campaign_command(
    name: str = typer.Argument(..., help="campaign name under campaigns/ (e.g. pre-release) or a path"),
    target: Path | None = TARGET,
    run_dir: Path | None = RUN_DIR,
    state_dir: Path | None = STATE_DIR,
) -> None:
    """Run a campaign: load + experiments + observer + report into one run directory."""
    try:
        camp = load_campaign(name)
        tgt = resolve_target(target or camp.target, state_dir)
    except (TargetError, CampaignError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _, code = run_campaign(camp, tgt, run_dir)
    raise typer.Exit(code)


def run_campaign(camp: Campaign, tgt: Target, run_dir: Path | None) -> tuple[Path, int]:
    """Run ``camp`` against ``tgt`` into a new (or the given) run directory; ``(directory, exit code)``."""
    directory = resolve_run_dir(run_dir, f"campaign-{camp.name}")
    start_manifest(directory, profile=None, target=tgt.to_dict(), experiments=[s.name for s in camp.experiments])
    typer.echo(f"campaign {camp.name}: run directory {directory}")
    observer = Observer(tgt, directory)
    observer.start()
    load = BackgroundLoad(lambda: load_run.run_load(camp.profile, tgt.service_url, directory,
                                                    api_key=tgt.api_key(), echo=typer.echo))
    verdicts: list[ExperimentVerdict] = []
    load.start()
    try:
        for step in camp.experiments:
            _wait_until(load, step.at)
            typer.echo(f"campaign: t+{load.elapsed():.0f} s experiment {step.name}")
            verdict = run_experiment(step.name, tgt, directory, echo=typer.echo,
                                     extra_env={"AFSUITE_EXTERNAL_LOAD": "1", **step.env})
            verdicts.append(verdict)
            typer.echo(verdict.line())
        typer.echo("campaign: experiments done; waiting for the load profile to end")
        load.join()
    finally:
        load_run.stop_all()
        load.join(timeout=60)
        counts = observer.stop()
        (directory / "chaos").mkdir(exist_ok=True)
        (directory / "chaos" / "verdicts.json").write_text(json.dumps(
            [{"experiment": v.experiment, "ok": v.ok, "status": v.status, "deviated": v.deviated,
              "problems": v.problems} for v in verdicts], indent=2))
        complete_manifest(directory, campaign=camp.name, observer={"rows": counts, "api_errors": observer.errors})
    if load.error is not None:
        typer.echo(f"campaign: the load run failed: {load.error}", err=True)
    for v in verdicts:
        typer.echo(v.line())
    code = 0 if all(v.ok for v in verdicts) and load.error is None else 1
    if camp.build_report:
        code = max(code, report_command(directory))
    return directory, code
