"""The HTML of report.html's first screen and check sections: the family cards, the checks that need attention with
their full evidence, and every check grouped by family in collapsed <details> (per-phase SLOs folded into one
table). Any element with data-start/data-end zooms the timeline to that evidence window when clicked."""

from __future__ import annotations

from html import escape

from analysis.checks import CheckResult
from analysis.report import humanize
from analysis.report.families import Family, attention, attention_groups, families, without_reason
from analysis.report.folding import RECOVERY_HEADER, is_phase, is_recovery, phase_table, recovery_rows
from analysis.report.model import Analysis

CARD_STYLE = """
.banner { display: flex; align-items: baseline; gap: 1em; padding: 0.6em 1em; border-radius: 6px; margin: 0.4em 0 0.8em;
  border: 2px solid currentColor; }
.banner .big { font-size: 1.8em; font-weight: 700; }
.banner .why { color: #24292f; }
#cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(245px, 1fr)); gap: 0.6em; margin-bottom: 1em; }
.card { border: 1px solid #d0d7de; border-left: 6px solid #6e7781; border-radius: 6px; padding: 0.45em 0.7em;
  cursor: pointer; background: #fff; }
.card h3 { margin: 0; font-size: 0.95em; display: flex; justify-content: space-between; }
.card .key { font-size: 0.95em; margin-top: 0.25em; }
.card .tally { font-size: 0.75em; color: #57606a; margin-top: 0.2em; }
.card.PASS { border-left-color: #1a7f37; } .card.FAIL { border-left-color: #cf222e; background: #fff5f5; }
.card.INVALID { border-left-color: #9a6700; background: #fffbea; }
.card.INCOMPLETE { border-left-color: #8250df; background: #f8f5ff; } .card.SKIPPED { border-left-color: #afb8c1; }
.attention { border: 1px solid #d0d7de; border-left: 6px solid #cf222e; border-radius: 6px; padding: 0.4em 0.8em;
  margin: 0.5em 0; }
.attention h3 { margin: 0.2em 0; font-size: 1em; }
details.family { border: 1px solid #d0d7de; border-radius: 6px; margin: 0.4em 0; padding: 0.3em 0.8em; }
details.family > summary { cursor: pointer; font-weight: 600; }
.zoom { cursor: pointer; color: #0969da; text-decoration: underline dotted; white-space: nowrap; }
"""


def _zoom_attrs(check: CheckResult) -> str:
    window = check.evidence.window_s
    if not window:
        return ""
    return f' data-start="{window[0]:.3f}" data-end="{window[1]:.3f}" title="show on the timeline"'


def _window(check: CheckResult) -> str:
    window = check.evidence.window_s
    if not window:
        return ""
    text = humanize.span(window)
    return f'<span class="zoom"{_zoom_attrs(check)}>{escape(text)}</span>'


def _objects(check: CheckResult) -> str:
    return f" Objects: {'; '.join(check.evidence.objects)}." if check.evidence.objects else ""


def _evidence(check: CheckResult) -> str:
    return escape(check.evidence.sentence + _objects(check))


def _verdict(check: CheckResult) -> str:
    v = check.verdict.upper()
    return f'<span class="verdict {v}">{v}</span>'


def cards(analysis: Analysis) -> str:
    items = []
    for f in families(analysis):
        status = f.status.upper()
        items.append(f'<div class="card {status}" data-family="{f.key}" data-status="{status}" '
                     f'onclick="var d=document.getElementById(\'family-{f.key}\');d.open=true;d.scrollIntoView()">'
                     f'<h3><span>{escape(f.title)}</span><span class="verdict {status}">{status}</span></h3>'
                     f'<div class="key">{escape(f.key_number)}</div><div class="tally">{escape(f.tally)}</div></div>')
    return f'<section id="cards">{"".join(items)}</section>'


def attention_section(analysis: Analysis) -> str:
    checks = attention(analysis)
    if not checks:
        return '<p id="attention" class="ok">No check failed, none was invalid or incomplete.</p>'
    blocks = []
    for _, reason, group in attention_groups(analysis):
        if reason is None:
            c = group[0]
            blocks.append(f'<div class="attention" data-check="{escape(c.name)}"><h3>{_verdict(c)} {escape(c.name)}: '
                          f'{escape(humanize.measured_of_threshold(c))} {_window(c)}</h3><p>{_evidence(c)}</p></div>')
            continue
        items = "".join(f'<li data-check="{escape(c.name)}"><b>{escape(c.name)}</b>: '
                        f"{escape(humanize.measured_of_threshold(c))} (for information) {_window(c)}<br>"
                        f"<small>{escape(without_reason(c) + _objects(c))}</small></li>" for c in group)
        blocks.append(f'<div class="attention"><h3>{_verdict(group[0])} {len(group)} check(s): {escape(reason)}</h3>'
                      f"<ul>{items}</ul></div>")
    return f'<section id="attention"><h2>Needs attention ({len(checks)})</h2>{"".join(blocks)}</section>'


def _check_rows(checks: list[CheckResult]) -> str:
    rows = []
    for c in checks:
        rows.append(f'<tr data-check="{escape(c.name)}"><td>{escape(c.name)}</td><td>{_verdict(c)}</td>'
                    f"<td>{escape(humanize.measured_of_threshold(c))}</td><td>{_window(c)}</td>"
                    f"<td>{_evidence(c)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("Check", "Verdict", "Measured (threshold)", "Window", "Evidence"))
    return f'<table class="checks"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _phase_html(checks: list[CheckResult]) -> str:
    table = phase_table(checks)
    if table is None:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = []
    for (_phase, _, cells), texts in zip(table.rows, table.text_rows(), strict=True):
        tds = [f"<td>{escape(texts[0])}</td>", f"<td>{escape(texts[1])}</td>"]
        for metric, text in zip(table.metrics, texts[2:], strict=True):
            cell = cells.get(metric)
            if cell is None:
                tds.append("<td></td>")
                continue
            v = cell.check.verdict.upper()
            tds.append(f'<td class="verdict-cell {v}" data-check="{escape(cell.check.name)}" '
                       f'title="{_evidence(cell.check)}">{escape(text)}</td>')
        window = next(iter(cells.values())).check
        body.append(f'<tr class="zoom-row"{_zoom_attrs(window)}>{"".join(tds)}</tr>')
    return (f'<h4>SLOs per phase (PASS unless marked)</h4><table id="phases"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _recovery_html(checks: list[CheckResult]) -> str:
    rows = recovery_rows(checks)
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in RECOVERY_HEADER)
    body = "".join(f'<tr data-check="{escape(c.name)}"><td>{escape(t[0])}</td><td>{_verdict(c)}</td>'
                   f"<td>{escape(t[2])}</td><td>{escape(t[3])}</td><td>{_window(c)}</td></tr>" for c, t in rows)
    return (f'<h4>Recovery after each fault</h4><table id="recovery"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _family(f: Family) -> str:
    rest = [c for c in f.checks if not is_phase(c) and not is_recovery(c)]
    inner = (_check_rows(rest) if rest else "") + _phase_html(f.checks) + _recovery_html(f.checks)
    status = f.status.upper()
    return (f'<details class="family" id="family-{f.key}" data-family="{f.key}"><summary>{escape(f.title)}: '
            f'<span class="verdict {status}">{status}</span> ({escape(f.tally)})</summary>{inner}</details>')


def family_sections(analysis: Analysis) -> str:
    return '<section id="checks">' + "".join(_family(f) for f in families(analysis)) + "</section>"
