"""report.md: the verdict table first, then the metrics, then the formulas used."""

from __future__ import annotations

from collections.abc import Sequence

from analysis import fmt
from analysis.report.hpa_plot import DEVIATION_HEADER, deviation_table
from analysis.report.model import Analysis
from analysis.report.tables import (
    EXIT_CODE_TEXT,
    FORMULAS,
    LATENCY_HEADER,
    STAGE_HEADER,
    VERDICT_HEADER,
    latency_rows,
    run_rows,
    stage_rows,
    status_line,
    totals_rows,
    verdict_rows,
)


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(analysis: Analysis) -> str:
    name = analysis.run.manifest.get("name", analysis.run.run_dir.name)
    lines = [f"# Run report: {name}", ""]
    overall = fmt.verdict(analysis.overall)
    lines += [f"**Overall verdict: {overall}** ({EXIT_CODE_TEXT}; this run: {analysis.exit_code})", ""]
    if status_line(analysis):
        lines += [f"**{overall}**: {status_line(analysis)}.", ""]
    lines += ["## Verdicts", ""]
    rows = verdict_rows(analysis)
    lines += table(VERDICT_HEADER, [[r[h.lower()] for h in VERDICT_HEADER] for r in rows])
    if (deviations := deviation_table(analysis)) is not None:
        lines += ["", "## HPA replay deviations (hpa.conformance)", "", *table(DEVIATION_HEADER, deviations)]
    lines += ["", "## Run", "", *table(["Field", "Value"], run_rows(analysis))]
    lines += ["", "## Metrics", "", "### Streams, errors and goodput", ""]
    lines += table(["Metric", "Value"], totals_rows(analysis))
    lines += ["", "### Latency (all endpoints)", ""]
    lines += table(LATENCY_HEADER, latency_rows(analysis.latency))
    if len(analysis.latency_by_endpoint):
        lines += ["", "### Latency per endpoint", ""]
        lines += table(["Endpoint", *LATENCY_HEADER], latency_rows(analysis.latency_by_endpoint))
    if len(analysis.stages):
        lines += ["", "### Load stages", "", *table(STAGE_HEADER, stage_rows(analysis))]
    lines += ["", f"Metrics over time ({analysis.window_s:g} s windows) are plotted in report.html and plots/."]
    if analysis.run.skipped or analysis.run.notes:
        lines += ["", "### Inputs", ""]
        lines += [f"- skipped {file}: {reason}" for file, reason in sorted(analysis.run.skipped.items())]
        lines += [f"- {note}" for note in analysis.run.notes]
    lines += ["", "## Formulas", "", *table(["Name", "Definition"], FORMULAS)]
    return "\n".join(lines) + "\n"
