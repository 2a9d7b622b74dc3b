"""The `afsuite` command line (typer). `main()` only dispatches; each command lives in its own module."""

from __future__ import annotations

from pathlib import Path

import typer

from analysis.cli import report_command
from harness.campaign_cmd import campaign_command
from harness.chaos_cmd import chaos_command
from harness.cluster_cmd import cluster_app
from harness.demo import demo_command
from harness.doctor import doctor_command
from harness.load import load_command
from harness.recover import recover_command
from harness.soak import soak_command

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="AgentFlow load & chaos suite")
app.command("demo")(demo_command)
app.command("load")(load_command)
app.command("chaos")(chaos_command)
app.command("campaign")(campaign_command)
app.command("soak")(soak_command)
app.command("doctor")(doctor_command)
app.command("recover")(recover_command)
app.add_typer(cluster_app, name="cluster", help="the embedded local cluster: up, status, down, variants, faults")


@app.command("report")
def report(run_dir: Path = typer.Argument(..., help="a run directory (runs/<stamp>-<name>)")) -> None:
    """Build report.md, report.html, summary.json and junit.xml of a run directory; exit non-zero on a fail."""
    raise typer.Exit(report_command(run_dir))


@app.callback()
def _root() -> None:
    """AgentFlow load & chaos suite: load runs, chaos experiments, the local cluster, reports."""


@app.command("compare")
def compare(run_dir: Path = typer.Argument(..., help="the run to judge"),
            baseline: Path = typer.Argument(..., help="the baseline run directory"),
            tolerances: Path | None = typer.Option(None, help="YAML/JSON tolerances (default +10 % p99, ...)")) -> None:
    """Compare a run with a baseline: verdict changes and metric deltas with significance; exit 1 on a regression."""
    from analysis.compare import compare_command

    raise typer.Exit(compare_command(run_dir, baseline, tolerances))


def main() -> None:
    app()
