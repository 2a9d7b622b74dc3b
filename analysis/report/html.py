"""report.html: one self-contained file, readable offline: the verdict and one card per check family on the first
screen, then the checks that need attention, the interactive timeline (uPlot, inlined from analysis/report/vendor),
every check by family (collapsed), and the metric tables. The PNG plots stay in plots/ for report.md and CI."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from importlib import resources

from analysis import fmt
from analysis.report.hpa_plot import DEVIATION_HEADER, deviation_table
from analysis.report.html_sections import CARD_STYLE, attention_section, cards, family_sections
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
from analysis.report.timeline import timeline_json
from analysis.report.vendor import asset

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.verdict { font-weight: bold; }
.PASS { color: #1a7f37; } .FAIL { color: #cf222e; } .INVALID { color: #9a6700; } .SKIPPED { color: #6e7781; }
.INCOMPLETE, .INTERRUPTED, .REFUSED { color: #8250df; } .DRY-RUN { color: #0969da; }
.overall { font-size: 1.3em; margin: 0.5em 0 1em; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], css_id: str = "") -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    ident = f' id="{css_id}"' if css_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _timeline(analysis: Analysis, plots: dict[str, tuple[str, bytes]]) -> list[str]:
    pngs = ", ".join(f"plots/{escape(name)}" for name in plots)
    return [
        '<section id="timeline"><h2>Timeline</h2>',
        '<p class="tl-hint">Drag across a chart to zoom every chart, double-click or '
        '<button id="timeline-reset" type="button">reset</button> to see the whole run; click a check\'s window to '
        f"zoom to its evidence. Fault windows are shaded red, load stages labelled at the bottom of the first chart. "
        f"Static PNG versions: {pngs or 'none'}.</p>",
        '<div id="timeline-charts"></div>',
        f'<script type="application/json" id="timeline-data">{timeline_json(analysis)}</script></section>',
    ]


def _head(name: str) -> list[str]:
    return [
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Run report: {name}</title>",
        f"<style>{STYLE}{CARD_STYLE}{asset('uplot/uPlot.min.css')}{_own('timeline.css')}</style></head><body>",
    ]


def _own(name: str) -> str:
    return resources.files("analysis.report").joinpath(name).read_text(encoding="utf-8")


def _banner(analysis: Analysis) -> str:
    overall = fmt.verdict(analysis.overall)
    css = overall.replace(" ", "-")
    why = status_line(analysis) or {
        "PASS": "every judged check passed: nothing here blocks shipping",
        "FAIL": "at least one check failed: see Needs attention below",
        "INVALID": "the measurement cannot be trusted: see Needs attention below",
        "INCOMPLETE": "a check lacked the data it needs: see Needs attention below",
    }.get(overall, "")
    return (f'<div id="overall" class="banner {css}" data-verdict="{escape(analysis.overall)}">'
            f'<span class="big verdict {css}">{overall}</span><span class="why">{escape(why)}</span>'
            f'<span class="tally" title="{escape(EXIT_CODE_TEXT)}">exit code {analysis.exit_code}</span></div>')


def render_html(analysis: Analysis, plots: dict[str, tuple[str, bytes]]) -> str:
    name = escape(str(analysis.run.manifest.get("name", analysis.run.run_dir.name)))
    parts = [*_head(name), f"<h1>Run report: {name}</h1>", _banner(analysis), cards(analysis),
             attention_section(analysis), *_timeline(analysis, plots), "<h2>Checks by family</h2>",
             family_sections(analysis)]
    if (deviations := deviation_table(analysis)) is not None:
        parts += ["<h2>HPA replay deviations (hpa.conformance)</h2>", _table(DEVIATION_HEADER, deviations, "hpa")]
    parts += ["<h2>Run</h2>", _table(["Field", "Value"], run_rows(analysis))]
    parts += ["<h2>Streams, errors and goodput</h2>", _table(["Metric", "Value"], totals_rows(analysis))]
    parts += ["<h2>Latency (all endpoints)</h2>", _table(LATENCY_HEADER, latency_rows(analysis.latency))]
    if len(analysis.latency_by_endpoint):
        rows = latency_rows(analysis.latency_by_endpoint)
        parts += ["<h2>Latency per endpoint</h2>", _table(["Endpoint", *LATENCY_HEADER], rows)]
    if len(analysis.stages):
        parts += ["<h2>Load stages</h2>", _table(STAGE_HEADER, stage_rows(analysis))]
    if analysis.run.skipped or analysis.run.notes:
        items = "".join(f"<li>skipped {escape(f)}: {escape(r)}</li>" for f, r in sorted(analysis.run.skipped.items()))
        items += "".join(f"<li>{escape(note)}</li>" for note in analysis.run.notes)
        parts += ["<h2>Inputs</h2>", f"<ul>{items}</ul>"]
    parts += ["<h2>Formulas</h2>", _table(["Name", "Definition"], FORMULAS)]
    parts += [f"<script>{asset('uplot/uPlot.iife.min.js')}</script>", f"<script>{_own('timeline.js')}</script>",
              "</body></html>"]
    return "\n".join(parts) + "\n"
