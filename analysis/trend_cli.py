"""`afsuite trend RUNS... [--out DIR]`: the trend report of many runs (analysis/trend.py) written to DIR
(default: <directory of the runs>/trend) as trend.md, trend.html and trend.json; exit 1 when the newest run
regressed, 5 on bad input (naming the file)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from analysis.compare import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGRESSION, read_tolerances
from analysis.report.atomic import write_all
from analysis.report.trend_render import render_html, render_json, render_md, summary_line
from analysis.rundir import RunDirError
from analysis.trend import MIN_BASELINE, WINDOW, judge, load_nights


def _default_out(paths: list[Path]) -> Path:
    first = paths[0]
    return (first.parent if (first / "manifest.json").is_file() else first) / "trend"


def trend_command(paths: list[Path], out: Path | None = None, tolerances_file: Path | None = None,
                  window: int = WINDOW) -> int:
    started = time.monotonic()
    try:
        if window < 1:
            raise RunDirError(f"--window {window}: give at least 1 earlier run")
        tolerances = read_tolerances(tolerances_file)
        nights = judge(load_nights([Path(p) for p in paths]), tolerances, window)
    except RunDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = {"window": window, "min_baseline": MIN_BASELINE, "tolerances": tolerances}
    target = Path(out) if out else _default_out([Path(p) for p in paths])
    written = write_all(target, {"trend.md": render_md(nights, settings).encode("utf-8"),
                                 "trend.html": render_html(nights, settings).encode("utf-8"),
                                 "trend.json": render_json(nights, settings).encode("utf-8")})
    print(f"trend over {len(nights)} runs in {time.monotonic() - started:.1f} s: {summary_line(nights)}")
    print("written: " + ", ".join(str(p) for p in written))
    return EXIT_REGRESSION if nights[-1].regressions else EXIT_OK
