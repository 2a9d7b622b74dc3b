"""Make a killed load run's directory whole: consolidate the part files it left and mark its manifest.

`python -m loadtests.salvage RUN_DIR` (used by the harness after it had to kill Locust, and by the chaos
load control, which may not import this plane) or `salvage(run_dir)`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from loadtests.record import arrow_schema
from rundir import layout, parts, schemas
from rundir import manifest as rundir_manifest


def salvage(run_dir: Path) -> int:
    """Consolidate `streams/` and `load/loadgen/` parts; returns the rows in streams.parquet."""
    rows = parts.consolidate(run_dir / layout.STREAMS_PARTS, run_dir / layout.STREAMS_FILE, arrow_schema())
    parts.consolidate(run_dir / layout.LOADGEN_PARTS, run_dir / layout.LOADGEN_FILE, schemas.LOADGEN_SCHEMA)
    if (run_dir / layout.MANIFEST_FILE).exists():  # salvage runs only after Locust had to be killed: say so
        load = {**rundir_manifest.read_manifest(run_dir).get("load", {}), "killed": True, "salvaged_at": time.time()}
        rundir_manifest.write_manifest(run_dir, load=load)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m loadtests.salvage RUN_DIR (an existing run directory)", file=sys.stderr)
        return 2
    print(f"{args[0]}: {salvage(Path(args[0]))} stream rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
