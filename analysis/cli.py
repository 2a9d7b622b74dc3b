"""Command-line entry: `report_command(run_dir)` (registered by the harness) and `python -m analysis report`.

Exit codes (analysis/exitcodes.py): 0 PASS or DRY RUN; 1 a check failed; 2 the run is INVALID (the load
generator saturated, no streams, ...: its SLO verdicts cannot be trusted either way); 3 the run was INTERRUPTED
or a check was INCOMPLETE; 4 the run was REFUSED by a safety setting; 5 the report could not be built (the run
directory or its profile is bad; the message names the file and field).
"""

from __future__ import annotations

import sys
from pathlib import Path

from analysis import exitcodes, fmt
from analysis.report import build_report
from analysis.report.markdown import table
from analysis.report.tables import VERDICT_HEADER
from analysis.rundir import RunDirError

EXIT_BAD_INPUT = exitcodes.BAD_INPUT
TABLE_COLUMNS = VERDICT_HEADER[:4]


def report_command(run_dir: Path) -> int:
    """Build the report of one run directory, print its path and the verdict table, return the exit code."""
    try:
        outcome = build_report(Path(run_dir))
    except RunDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rows = [
        [c.name, c.verdict.upper(), fmt.value(c.measured, c.unit), fmt.value(c.threshold, c.unit)]
        for c in outcome.checks
    ]
    print(f"report: {outcome.report_md}")
    print(f"        {outcome.report_html}")
    print("\n".join(table(TABLE_COLUMNS, rows)))
    if outcome.status_line:
        print(f"{fmt.verdict(outcome.overall)}: {outcome.status_line}")
    print(f"overall verdict: {fmt.verdict(outcome.overall)} (exit code {outcome.exit_code})")
    return outcome.exit_code
