"""The trend report's three files: trend.json (every run's key metrics and flags), trend.md (one row per run, then
the flags) and trend.html (the same table plus one line chart per key metric, uPlot inlined, offline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Any

from analysis.checks.result import jsonable
from analysis.report import humanize
from analysis.report.markdown import table
from analysis.report.vendor import asset
from analysis.trend import CHECK_METRICS, LATENCY_KEYS, Night

COLUMNS: dict[str, tuple[str, str]] = {  # metric -> (label, unit as humanize.value takes it)
    **{k: (k.replace("_", " ").upper().replace(" P", " p"), "s") for k in LATENCY_KEYS},
    "error_rate": ("error rate", "fraction"), "goodput": ("goodput", "streams/s"),
    **{k: (label, unit) for k, (label, unit, _) in CHECK_METRICS.items()},
    "alerts_fired": ("alerts fired", "alerts"),
}
SHOWN = ("ttft_p95", "ttft_p99", "e2e_p99", "error_rate", "goodput", "hpa_reaction_s", "max_replicas", "pdb_denials",
         "streams_lost", "alerts_fired")
CHARTS = (("TTFT percentiles", "s", ("ttft_p50", "ttft_p95", "ttft_p99")),
          ("E2E percentiles", "s", ("e2e_p50", "e2e_p95", "e2e_p99")), ("Error rate", "%", ("error_rate",)),
          ("Goodput", "/s", ("goodput",)), ("HPA reaction", "s", ("hpa_reaction_s",)),
          ("Max replicas", "", ("max_replicas",)), ("PDB denials", "", ("pdb_denials",)),
          ("Streams lost to shutdowns", "", ("streams_lost",)), ("Alerts fired", "", ("alerts_fired",)))


def _when(n: Night) -> str:
    if not isinstance(n.started, int | float):
        return "?"
    return datetime.fromtimestamp(n.started, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _flag_text(n: Night) -> str:
    if not n.flags:
        return ""
    return "; ".join(f"{f['kind'].upper()}: {f['text']}" for f in n.flags)


def rows(nights: list[Night]) -> list[list[str]]:
    return [[n.run_dir.name, _when(n), n.overall.upper(),
             *(humanize.value(n.metrics.get(k), COLUMNS[k][1]) for k in SHOWN), _flag_text(n)] for n in nights]


HEADER = ["Run", "Started (UTC)", "Verdict", *(COLUMNS[k][0] for k in SHOWN), "Flags"]


def summary_line(nights: list[Night]) -> str:
    newest = nights[-1]
    if newest.regressions:
        found = "; ".join(f["text"] for f in newest.regressions)
        return f"REGRESSION in the newest run {newest.run_dir.name}: {found}"
    flagged = sum(bool(n.regressions) for n in nights)
    return f"no regression in the newest run {newest.run_dir.name} ({flagged} earlier run(s) flagged)"


def render_json(nights: list[Night], settings: dict[str, Any]) -> str:
    data = {"settings": settings, "newest_regressed": bool(nights[-1].regressions),
            "runs": [{"run_dir": n.run_dir.name, "name": n.name, "started": n.started, "overall_verdict": n.overall,
                      "state": n.state, "streams": n.streams, "errors": n.errors, "metrics": n.metrics,
                      "flags": n.flags} for n in nights]}
    return json.dumps(jsonable(data), indent=1, allow_nan=False) + "\n"


def render_md(nights: list[Night], settings: dict[str, Any]) -> str:
    lines = [f"# Trend over {len(nights)} runs", "", f"**{summary_line(nights)}**", "",
             f"Baseline: the {settings['window']} earlier completed runs (at least {settings['min_baseline']}); "
             "rules as in `afsuite compare` (docs/report.md).", "", *table(HEADER, rows(nights))]
    return "\n".join(lines) + "\n"


def _series(nights: list[Night]) -> dict[str, Any]:
    charts = []
    for title, unit, keys in CHARTS:
        scale = 100.0 if unit == "%" else 1.0
        values = {k: [None if (v := n.metrics.get(k)) is None else float(v) * scale for n in nights] for k in keys}
        if any(v is not None for vs in values.values() for v in vs):
            charts.append({"title": title, "unit": unit, "series": [{"label": COLUMNS[k][0], "values": values[k]}
                                                                      for k in keys]})
    flagged = [i for i, n in enumerate(nights) if n.regressions]
    return {"names": [n.run_dir.name for n in nights], "charts": charts, "flagged": flagged}


def render_html(nights: list[Night], settings: dict[str, Any]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in HEADER)
    body = "".join(f'<tr class="{"regressed" if n.regressions else ""}">' + "".join(f"<td>{escape(c)}</td>" for c in r)
                   + "</tr>" for n, r in zip(nights, rows(nights), strict=True))
    data = json.dumps(jsonable(_series(nights)), separators=(",", ":")).replace("</", "<\\/")
    script = resources.files("analysis.report").joinpath("trend.js").read_text(encoding="utf-8")
    regressed = bool(nights[-1].regressions)
    return "\n".join([
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Trend over {len(nights)} runs</title>",
        f"<style>{STYLE}{asset('uplot/uPlot.min.css')}</style></head><body>",
        f"<h1>Trend over {len(nights)} runs</h1>",
        f'<p id="verdict" class="{"bad" if regressed else "good"}">{escape(summary_line(nights))}</p>',
        '<div id="charts"></div>',
        f'<script type="application/json" id="trend-data">{data}</script>',
        f'<h2>Runs</h2><table id="runs"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
        f"<script>{asset('uplot/uPlot.iife.min.js')}</script><script>{script}</script></body></html>",
    ]) + "\n"


STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.8em; } th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; }
th { background: #f3f3f3; } tr.regressed td { background: #fff0f0; }
#verdict { font-size: 1.2em; font-weight: 600; padding: 0.5em; border: 2px solid; border-radius: 6px; }
#verdict.bad { color: #cf222e; } #verdict.good { color: #1a7f37; }
#charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(430px, 1fr)); gap: 0.5em; }
"""
