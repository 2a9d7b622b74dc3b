"""The life of a run directory as every command sees it: claimed once, started (`status: running`, the policy,
this afsuite's PID), finalised the same way however the run ended, then judged.

- `claim`: the run directory is new, or an empty one named by --run-dir / AFSUITE_RUN_DIR; anything else is
  refused untouched (a run directory is written once).
- `start`: manifest with `status: running`, `dry_run`, the safety policy; afsuite's PID in pids.jsonl.
- `finish`: `status` completed | dry-run | interrupted (with the signal, its time and the phase it cut).
- `judge`: the report, whose verdict and exit code say INTERRUPTED / DRY RUN when the status does; a signal
  during the report itself marks the run interrupted and returns at once.
- `failure_code`: one line and the exit code for what refused or broke the command before the run started.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from analysis import exitcodes
from analysis.cli import report_command
from experiments.afchaos.policy import PolicyError, Refused, SafetyPolicy
from harness import processes
from harness.preflight import BadInput, free_run_dir, recorded_refusal
from harness.signals import OrderlyStop, Stopped
from harness.targets import TargetError
from rundir.manifest import RUN_DIR_ENV, complete_manifest, new_run_dir, start_manifest, write_manifest


def claim(option: Path | str | None, name: str) -> Path:
    """The run directory: `option` (else $AFSUITE_RUN_DIR) when free, else a new `runs/<stamp>-<name>/`."""
    chosen = free_run_dir(option or os.environ.get(RUN_DIR_ENV) or None)
    if chosen is None:
        return new_run_dir(name)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen.resolve()


def start(directory: Path, *, policy: SafetyPolicy, target: dict[str, Any], profile: dict[str, Any] | None = None,
          experiments: list[str] | None = None) -> None:
    start_manifest(directory, profile=profile, target=target, experiments=experiments)
    write_manifest(directory, status="running", dry_run=policy.dry_run, safety=policy.to_dict())
    processes.record_self(directory)


def finish(directory: Path, stop: OrderlyStop, policy: SafetyPolicy, phase: str, **fields: Any) -> str:
    """Complete the manifest with how the run ended (a refusal the guard recorded during the run makes it
    `refused`); returns the status."""
    refused = recorded_refusal(directory)
    status = "interrupted" if stop.received else "refused" if refused else "dry-run" if policy.dry_run \
        else "completed"
    if refused:
        fields["refused"] = {"reason": refused}
    complete_manifest(directory, status=status, interrupted=stop.interrupted(phase), **fields)
    return status


def judge(directory: Path, stop: OrderlyStop, echo: Callable[[str], None] = typer.echo) -> int:
    """Build the report (exit code by its verdict); a signal during it marks the run interrupted. The manifest
    says when the report was started and done, so a report cut short by SIGKILL is found by `afsuite recover`."""
    started = time.time()
    write_manifest(directory, report={"started": started})
    try:
        code = report_command(directory)
        write_manifest(directory, report={"started": started, "done": time.time()})
        return code
    except Stopped:
        write_manifest(directory, status="interrupted", interrupted=stop.interrupted("the report"))
        echo(f"report interrupted; the run directory is complete and marked INTERRUPTED: rebuild the report with "
             f"`afsuite report {directory}`")
        return exitcodes.INTERRUPTED


def failure_code(exc: BaseException, echo: Callable[[str], None] = lambda m: typer.echo(m, err=True)) -> int:
    """One line for what stopped a command before its run started, and the exit code (4 refused, 5 bad input)."""
    if isinstance(exc, Refused):
        echo(f"REFUSED: {exc}")
        return exitcodes.REFUSED
    echo(f"error: {exc}")
    return exitcodes.BAD_INPUT


BEFORE_START = (Refused, PolicyError, BadInput, TargetError, ValueError)
"""What the checks before a run may raise."""
