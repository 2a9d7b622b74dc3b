"""report.md, in the same order as report.html: the verdict, one line per check family (status and key number), the
checks that need attention with their evidence, every check by family (per-phase SLOs folded into one table),
then the metrics, the PNG plots and the formulas used."""

from __future__ import annotations

from collections.abc import Sequence

from analysis import fmt
from analysis.checks import CheckResult
from analysis.report import humanize
from analysis.report.families import Family, attention, attention_groups, families, without_reason
from analysis.report.folding import RECOVERY_HEADER, is_phase, is_recovery, phase_table, recovery_rows
from analysis.report.hpa_plot import DEVIATION_HEADER, deviation_table
from analysis.report.model import Analysis
from analysis.report.tables import (
    EXIT_CODE_TEXT,
    FORMULAS,
    LATENCY_HEADER,
    STAGE_HEADER,
    latency_rows,
    run_rows,
    stage_rows,
    status_line,
    totals_rows,
)

CHECK_HEADER = ["Check", "Verdict", "Measured (threshold)", "Window", "Evidence"]


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _glance(analysis: Analysis) -> list[str]:
    rows = [[f.title, f.status.upper(), f.key_number, f.tally] for f in families(analysis)]
    return ["## At a glance", "", *table(["Family", "Status", "Key number", "Checks"], rows)]


def _attention(analysis: Analysis) -> list[str]:
    checks = attention(analysis)
    if not checks:
        return ["No check failed, none was invalid or incomplete."]
    lines = [f"## Needs attention ({len(checks)})"]
    for verdict, reason, group in attention_groups(analysis):
        if reason is None:
            c = group[0]
            lines += ["", f"### {verdict.upper()} {c.name}: {humanize.measured_of_threshold(c)}{_where(c)}", "",
                      c.evidence.sentence + _objects(c)]
            continue
        lines += ["", f"### {verdict.upper()} {len(group)} check(s): {reason}", ""]
        lines += [f"- **{c.name}**: {humanize.measured_of_threshold(c)} (for information){_where(c)}. "
                  f"{without_reason(c)}{_objects(c)}" for c in group]
    return lines


def _where(c: CheckResult) -> str:
    return f", window {humanize.span(c.evidence.window_s)}" if c.evidence.window_s else ""


def _objects(c: CheckResult) -> str:
    return f" Objects: {'; '.join(c.evidence.objects)}." if c.evidence.objects else ""


def _family(f: Family) -> list[str]:
    lines = ["", f"### {f.title}: {f.status.upper()} ({f.tally})"]
    rest = [c for c in f.checks if not is_phase(c) and not is_recovery(c)]
    if rest:
        rows = [[c.name, c.verdict.upper(), humanize.measured_of_threshold(c), humanize.span(c.evidence.window_s),
                 c.evidence.sentence + (f" Objects: {'; '.join(c.evidence.objects)}." if c.evidence.objects else "")]
                for c in rest]
        lines += ["", *table(CHECK_HEADER, rows)]
    if (phases := phase_table(f.checks)) is not None:
        lines += ["", "SLOs per phase (PASS unless marked):", "", *table(phases.header, phases.text_rows())]
    if recovery := recovery_rows(f.checks):
        lines += ["", "Recovery after each fault:", "", *table(RECOVERY_HEADER, [r for _, r in recovery])]
    return lines


def render_markdown(analysis: Analysis, plots: Sequence[str] = ()) -> str:
    name = analysis.run.manifest.get("name", analysis.run.run_dir.name)
    lines = [f"# Run report: {name}", ""]
    overall = fmt.verdict(analysis.overall)
    lines += [f"**Overall verdict: {overall}** ({EXIT_CODE_TEXT}; this run: {analysis.exit_code})", ""]
    if status_line(analysis):
        lines += [f"**{overall}**: {status_line(analysis)}.", ""]
    lines += [*_glance(analysis), "", *_attention(analysis), "", "## Checks by family"]
    for family in families(analysis):
        lines += _family(family)
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
    lines += ["", f"### Over time ({analysis.window_s:g} s windows; interactive in report.html)", ""]
    lines += [f"![{p}](plots/{p})" for p in plots]
    if analysis.run.skipped or analysis.run.notes:
        lines += ["", "### Inputs", ""]
        lines += [f"- skipped {file}: {reason}" for file, reason in sorted(analysis.run.skipped.items())]
        lines += [f"- {note}" for note in analysis.run.notes]
    lines += ["", "## Formulas", "", *table(["Name", "Definition"], FORMULAS)]
    return "\n".join(lines) + "\n"
