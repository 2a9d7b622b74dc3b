"""`afsuite alerts ...`: check alerting rules before a game day (docs/alerts.md).

    afsuite alerts test FILE    promtool check + the suite's scenarios (errors, latency, all pods down, one pod
                                down, healthy) over a PrometheusRule manifest or a rules file; exit 1 when a
                                scenario does not page (or pages) as it should
"""

from __future__ import annotations

from pathlib import Path

import typer

from localcluster.prometheus import PrometheusError
from localcluster.prometheus.promtool import SCENARIOS, check_rules, run_scenarios
from localcluster.prometheus.rules import RulesError

alerts_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="alerting rules: check them against the suite's scenarios")


@alerts_app.command("test")
def test(file: Path = typer.Argument(..., help="PrometheusRule manifest or Prometheus rules file")) -> None:
    """Run promtool's rule check and the suite's alerting scenarios over FILE."""
    try:
        checked = check_rules(file)
        if not checked.ok:
            typer.echo(f"{file}: promtool check rules failed:\n{checked.output}", err=True)
            raise typer.Exit(1)
        result = run_scenarios(file)
    except (RulesError, PrometheusError) as exc:
        typer.echo(f"afsuite alerts test: {exc}", err=True)
        raise typer.Exit(5) from None
    typer.echo(result.output)
    if not result.ok:
        typer.echo(f"{file}: the rules do not page as the scenarios in {SCENARIOS.name} expect (see above; "
                   "docs/alerts.md explains each scenario)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{file}: every scenario of {SCENARIOS.name} pages as expected")
