"""Whether a process a test started is still running, race-free (it may exit between two psutil calls)."""

from __future__ import annotations

import psutil


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie; a process that exits mid-check counts as gone."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_running(pids: list[int]) -> list[int]:
    return [p for p in pids if running(p)]
