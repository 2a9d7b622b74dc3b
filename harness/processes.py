"""The child processes of a run: started so they cannot outlive afsuite, recorded in the run directory, stopped
by PID in a bounded time.

Every child (Locust, `chaos run`, the reference server) is started in a session of its own (a terminal's Ctrl-C
reaches only afsuite, which then stops each child the one right way) through the parent-death launcher of
`experiments.afchaos.controls.children` (the child gets SIGTERM if afsuite dies, even by SIGKILL), and is
appended to `<run dir>/pids.jsonl` with its create time, so `afsuite recover` can find and stop a leftover
without ever signalling an unrelated process that reused the PID.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.afchaos.controls import children

__all__ = ["record_self", "send", "spawn", "stop"]


def spawn(argv: Sequence[str], *, role: str, run_dir: Path | None, **popen: Any) -> subprocess.Popen[Any]:
    """Start `argv` in its own session, dying with this process, recorded in `run_dir/pids.jsonl`."""
    proc: subprocess.Popen[Any] = subprocess.Popen([*children.launcher(), *argv], start_new_session=True, **popen)
    children.record(run_dir, proc.pid, role, argv=list(argv))
    return proc


def record_self(run_dir: Path, role: str = "afsuite") -> None:
    """Record this afsuite process: `afsuite recover` leaves a run alone while its afsuite still runs."""
    children.record(run_dir, os.getpid(), role)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def send(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> None:
    """Send `sig` to the child's process group (it leads its own session) if it still runs."""
    if proc.poll() is None:
        _signal_group(proc.pid, sig)


def stop(proc: subprocess.Popen[Any], grace: float, sig: int | None = signal.SIGTERM) -> int:
    """Send `sig` (None: already sent) to the child's group, wait up to `grace` s, then SIGKILL the group; its
    exit code (-9 when it had to be killed)."""
    if proc.poll() is None:
        if sig is not None:
            _signal_group(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
    return proc.wait()
