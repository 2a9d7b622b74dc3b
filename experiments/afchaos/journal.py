"""What activities of this experiment recorded, for probes that judge it afterwards (a stuck drain, the
streams cut by a shutdown, the lowest Ready count). Kept in memory for the experiment's process and, when a
run directory is set (env `AFSUITE_RUN_DIR`), appended to `chaos/<kind>.jsonl` there so analysis sees it too.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from rundir.layout import CHAOS_DIR, chaos_records_file

_lock = threading.Lock()
_records: dict[str, list[dict[str, Any]]] = {}


def run_dir() -> Path | None:
    value = os.environ.get("AFSUITE_RUN_DIR")
    return Path(value) if value else None


def chaos_dir() -> Path | None:
    base = run_dir()
    if base is None:
        return None
    path = base / CHAOS_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def record(kind: str, item: dict[str, Any]) -> None:
    """Keep ``item`` under ``kind`` and append it to ``chaos/<kind>.jsonl`` of the run (a kind of the contract:
    ``rundir.layout.CHAOS_RECORDS``; any other is a ValueError, so a reader never misses a new kind)."""
    relative = chaos_records_file(kind)
    with _lock:
        _records.setdefault(kind, []).append(item)
        directory = chaos_dir()
        if directory is not None:
            with open(directory.parent / relative, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(item, default=str) + "\n")


def records(kind: str) -> list[dict[str, Any]]:
    with _lock:
        return list(_records.get(kind, []))


def reset() -> None:
    with _lock:
        _records.clear()
