"""What a killed run left: its processes (from `pids.jsonl`) and its unfinished run directory.

A run is abandoned when none of its recorded afsuite processes is alive any more. Its recorded children still
alive are stopped by PID: `chaos run` first with SIGTERM (chaostoolkit interrupts the activity and runs the
rollbacks, up to `CHAOS_GRACE` s), then everything else with SIGTERM (Locust writes what it has, up to
`OTHER_GRACE` s), then SIGKILL. A PID is signalled only while the process there has the recorded create time,
checked right before each signal. The abandoned run directory is then finalised: part files consolidated and
the manifest marked interrupted, so `afsuite report` judges it INTERRUPTED.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil

from harness.observer_rows import SCHEMAS
from loadtests.salvage import salvage
from rundir import manifest as rundir_manifest
from rundir import parts
from rundir.layout import PIDS_FILE

CHAOS_GRACE = 60.0
OTHER_GRACE = 15.0
SAME_PROCESS_S = 0.05  # create times of one process agree to well under this


def run_dirs_under(base: Path) -> list[Path]:
    """Run directories under `base` that recorded processes."""
    return sorted(p.parent for p in base.glob(f"*/{PIDS_FILE}")) if base.is_dir() else []


def entries(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / PIDS_FILE
    out = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        with contextlib.suppress(ValueError):
            item = json.loads(line)
            if isinstance(item, dict) and isinstance(item.get("pid"), int):
                out.append(item)
    return out


def alive(entry: dict[str, Any]) -> bool:
    """Whether the recorded process still runs (same PID AND same create time: not a reused PID)."""
    try:
        proc = psutil.Process(entry["pid"])
        return proc.status() != psutil.STATUS_ZOMBIE and \
            abs(proc.create_time() - float(entry.get("create_time", -1))) < SAME_PROCESS_S
    except (psutil.Error, TypeError, ValueError):
        return False


def _signal(entry: dict[str, Any], sig: int) -> None:
    if not alive(entry):
        return
    pid = entry["pid"]
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:  # it leads its own group (every child of afsuite does): its group
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_gone(items: Iterable[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
    items = list(items)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(e) for e in items):
        time.sleep(0.2)  # poll interval of a deadline-bounded wait
    return [e for e in items if alive(e)]


def _name(entry: dict[str, Any]) -> str:
    return f"{entry.get('role', 'process')} (pid {entry['pid']})"


def stop_leftovers(live: list[dict[str, Any]]) -> list[str]:
    """Stop the live recorded processes of an abandoned run; one line per process."""
    lines = []
    chaos = [e for e in live if str(e.get("role", "")).startswith("chaos run")]
    rest = [e for e in live if e not in chaos]
    for group, grace in ((chaos, CHAOS_GRACE), (rest, OTHER_GRACE)):
        for entry in group:
            _signal(entry, signal.SIGTERM)
        stubborn = _wait_gone(group, grace)
        for entry in stubborn:
            _signal(entry, signal.SIGKILL)
        _wait_gone(stubborn, 5.0)
        lines += [f"stopped {_name(e)}: {'SIGKILL after ' + str(int(grace)) + ' s' if e in stubborn else 'SIGTERM'}"
                  for e in group]
    return lines


def finalise(run_dir: Path) -> str | None:
    """Consolidate what a killed run left and mark it interrupted (only a run never finalised, or whose report
    was cut short); what was done, or None."""
    manifest = rundir_manifest.read_manifest(run_dir)
    status = manifest.get("status")
    report = manifest.get("report") or {}
    if report.get("started") and not report.get("done") and status not in ("interrupted", "running"):
        rundir_manifest.write_manifest(run_dir, status="interrupted", interrupted={
            "reason": "afsuite was killed while building the report; cleaned up by `afsuite recover`",
            "time": time.time(), "phase": "the report"})
        return "afsuite was killed while building the report: marked INTERRUPTED (`afsuite report` rebuilds it)"
    if not (status == "running" or (status is None and manifest and manifest.get("ended") is None)):
        return None
    if any((run_dir / "streams").glob("part-*.parquet")) or any((run_dir / "load" / "loadgen").glob("part-*")):
        salvage(run_dir)
    for name, schema in SCHEMAS.items():
        if any((run_dir / "cluster" / name).glob("part-*.parquet")):
            parts.consolidate(run_dir / "cluster" / name, run_dir / "cluster" / f"{name}.parquet", schema)
    if manifest:
        rundir_manifest.write_manifest(run_dir, status="interrupted", ended=manifest.get("ended") or time.time(),
                              interrupted={"reason": "afsuite was killed; cleaned up by `afsuite recover`",
                                           "time": time.time()})
    return "the run was never finalised: marked INTERRUPTED, part files consolidated"


def clean_up(run_dirs: Iterable[Path]) -> list[str]:
    """Stop the leftovers of every abandoned run among `run_dirs` and finalise it; what was done, line by line."""
    lines = []
    for run_dir in run_dirs:
        recorded = entries(run_dir)
        owners = [e for e in recorded if e.get("role") == "afsuite"]
        if any(alive(e) for e in owners):
            lines.append(f"{run_dir}: still running (afsuite pid {owners[0]['pid']}); left alone")
            continue
        live = [e for e in recorded if e.get("role") != "afsuite" and alive(e)]
        done = stop_leftovers(live)
        lines += [f"{run_dir}: {line}" for line in done]
        done_note = finalise(run_dir)
        if done_note:
            lines.append(f"{run_dir}: {done_note}")
    return lines
