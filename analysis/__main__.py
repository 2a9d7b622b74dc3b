"""`python -m analysis report RUN_DIR`: build the report of a run directory (exit codes: analysis/cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli import report_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="AgentFlow run analysis")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="write RUN_DIR/report/ and print the verdict table")
    report.add_argument("run_dir", type=Path, help="a run directory (runs/<time>-<name>/)")
    args = parser.parse_args(argv)
    return report_command(args.run_dir)


if __name__ == "__main__":
    sys.exit(main())
