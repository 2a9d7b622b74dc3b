"""report.html: one self-contained file (inline CSS, plots as base64 PNG), readable offline."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

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


def _verdict_table(analysis: Analysis) -> str:
    head = "".join(f"<th>{h}</th>" for h in VERDICT_HEADER)
    body = []
    for r in verdict_rows(analysis):
        cells = [
            f"<td>{escape(r['check'])}</td>",
            f'<td class="verdict {r["verdict"]}">{r["verdict"]}</td>',
            *(f"<td>{escape(r[k])}</td>" for k in ("measured", "threshold", "window", "evidence")),
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table id="verdicts"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def render_html(analysis: Analysis, plots: dict[str, tuple[str, bytes]]) -> str:
    name = escape(str(analysis.run.manifest.get("name", analysis.run.run_dir.name)))
    overall = fmt.verdict(analysis.overall)
    parts = [
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Run report: {name}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Run report: {name}</h1>",
        f'<p class="overall">Overall verdict: <span class="verdict {overall.replace(" ", "-")}">{overall}</span> '
        f"({escape(EXIT_CODE_TEXT)}; this run: {analysis.exit_code})</p>",
        f'<p class="status">{escape(status_line(analysis))}</p>' if status_line(analysis) else "",
        "<h2>Verdicts</h2>",
        _verdict_table(analysis),
    ]
    if (deviations := deviation_table(analysis)) is not None:
        parts += ["<h2>HPA replay deviations (hpa.conformance)</h2>", _table(DEVIATION_HEADER, deviations, "hpa")]
    parts.append("<h2>Over time</h2>")
    for file_name, (caption, png) in plots.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(caption)} (plots/{escape(file_name)})</figcaption></figure>"
        )
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
    parts += ["<h2>Formulas</h2>", _table(["Name", "Definition"], FORMULAS), "</body></html>"]
    return "\n".join(parts) + "\n"
