"""The `afsuite` command line (typer). `main()` only dispatches; each command lives in its own module.

Exit codes are the one table of `analysis/exitcodes.py` (shown at the end of `afsuite --help` and of each run
command's help); a usage error (unknown option, missing argument) exits 5, like any other bad input, never 2,
which means INVALID.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from analysis import exitcodes
from analysis.cli import report_command
from harness.alerts_cmd import alerts_app
from harness.campaign_cmd import campaign_command
from harness.chaos_cmd import chaos_command
from harness.cluster_cmd import cluster_app
from harness.demo import demo_command
from harness.doctor import doctor_command
from harness.load_cmd import load_command
from harness.recover import recover_command
from harness.soak import soak_command
from harness.sweep_cmd import sweep_command

EPILOG = exitcodes.help_text()
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="AgentFlow load & chaos suite", epilog=EPILOG)
for _name, _command in (("demo", demo_command), ("load", load_command), ("chaos", chaos_command),
                        ("campaign", campaign_command), ("soak", soak_command), ("doctor", doctor_command),
                        ("recover", recover_command), ("sweep", sweep_command)):
    app.command(_name, epilog=EPILOG)(_command)
app.add_typer(cluster_app, name="cluster", help="the embedded local cluster: up, status, down, variants, faults")
app.add_typer(alerts_app, name="alerts", help="alerting rules: promtool check and the suite's scenarios")


@app.command("report", epilog=EPILOG)
def report(run_dir: Path = typer.Argument(..., help="a run directory (runs/<stamp>-<name>)")) -> None:
    """Build report.md, report.html, summary.json and junit.xml of a run directory; exit by its verdict."""
    raise typer.Exit(report_command(run_dir))


@app.callback()
def _root() -> None:
    """AgentFlow load & chaos suite: load runs, chaos experiments, the local cluster, reports."""


@app.command("compare", epilog=EPILOG)
def compare(run_dir: Path = typer.Argument(..., help="the run to judge"),
            baseline: Path = typer.Argument(..., help="the baseline run directory"),
            tolerances: Path | None = typer.Option(None, help="YAML/JSON tolerances (default +10 % p99, ...)"),
            force: bool = typer.Option(False, "--force", help="compare runs that are not comparable (different "
                                       "profile, target, experiments or duration), with a warning")) -> None:
    """Compare a run with a baseline: verdict changes and metric deltas with significance; exit 1 on a regression,
    5 when the runs are not comparable (without --force)."""
    from analysis.compare import compare_command

    raise typer.Exit(compare_command(run_dir, baseline, tolerances, force=force))


@app.command("trend", epilog=EPILOG)
def trend(runs: list[Path] = typer.Argument(..., help="run directories, or directories of runs (e.g. runs/)"),
          out: Path | None = typer.Option(None, help="where to write trend.md/html/json (default: <runs>/trend)"),
          tolerances: Path | None = typer.Option(None, help="YAML/JSON tolerances, as for compare"),
          window: int = typer.Option(7, help="baseline: this many earlier completed runs")) -> None:
    """Key metrics across runs (nightly soaks), each run flagged against a rolling baseline with compare's rules;
    exit 1 when the newest run regressed."""
    from analysis.trend_cli import trend_command

    raise typer.Exit(trend_command(runs, out, tolerances, window))


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except typer.Abort:  # Ctrl-C before a command installed its orderly stop
        print("aborted", file=sys.stderr)
        sys.exit(exitcodes.INTERRUPTED)
    except typer.exceptions.TyperException as exc:  # usage errors: bad option, missing argument, bad value
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"error: {exc}", file=sys.stderr)
        sys.exit(exitcodes.BAD_INPUT)
    sys.exit(code if isinstance(code, int) else 0)
