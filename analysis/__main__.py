"""`python -m analysis report RUN_DIR`: build the report of a run directory.
`python -m analysis compare RUN BASELINE [--tolerances FILE]`: compare two runs (analysis/compare.py).

Exit codes (analysis/exitcodes.py): 0 pass (or dry run), 1 fail, 2 INVALID run, 3 INTERRUPTED/INCOMPLETE,
4 REFUSED, 5 bad input or bad usage; compare: 0 no regression, 1 regression, 5 bad input, bad usage or runs that
are not comparable (without --force).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli import EXIT_BAD_INPUT, report_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="AgentFlow run analysis")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="write RUN_DIR/report/ and print the verdict table")
    report.add_argument("run_dir", type=Path, help="a run directory (runs/<time>-<name>/)")
    comparing = commands.add_parser("compare", help="compare RUN with BASELINE; write RUN/report/compare.md")
    comparing.add_argument("run", type=Path, help="the run directory to judge")
    comparing.add_argument("baseline", type=Path, help="the baseline run directory")
    comparing.add_argument("--tolerances", type=Path, default=None, help="YAML/JSON tolerances (see compare.py)")
    comparing.add_argument("--force", action="store_true", help="compare runs that are not comparable (warning)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, which would read as "run INVALID"
        return 0 if exc.code in (0, None) else EXIT_BAD_INPUT
    if args.command == "compare":
        from analysis.compare import compare_command

        return compare_command(args.run, args.baseline, args.tolerances, args.force)
    return report_command(args.run_dir)


if __name__ == "__main__":
    sys.exit(main())
