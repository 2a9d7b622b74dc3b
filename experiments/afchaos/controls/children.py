"""Child processes that die with their parent, and the run directory's record of them (`pids.jsonl`).

`launcher()` is an argv prefix: a tiny Python program that sets the Linux parent-death signal
(`prctl(PR_SET_PDEATHSIG)`, kept across `exec`) and then execs the real command in the same process, so the
child is sent `death_signal` the moment the process that started it dies, even by SIGKILL. It checks that its
parent is still the one that started it (a parent that died before the prctl would otherwise be missed).
No Python code runs between fork and exec in the parent's process (no `preexec_fn`, unsafe with threads).
The signal goes when the starting *thread* ends, so children are started from a thread that outlives them.

`spawn()` starts a child in a session of its own through `launcher()` and records it. `stop()` ends a child
that leads its own process group: a signal to the group (SIGTERM by default, so it writes what it has), a
bounded wait, then SIGKILL to the group. The harness and the background-load control both start and stop their
children this one way.

`record()` appends one line per child to `<run dir>/pids.jsonl`: pid, role, the process's create time and
command line (so `afsuite recover` can tell a leftover from an unrelated process that reused the PID).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from rundir.layout import PIDS_FILE

PR_SET_PDEATHSIG = 1
_ARM = (
    "import ctypes, os, sys\n"
    "parent, sig = int(sys.argv[1]), int(sys.argv[2])\n"
    f"if ctypes.CDLL(None, use_errno=True).prctl({PR_SET_PDEATHSIG}, sig) != 0:\n"
    "    sys.exit('cannot set the parent-death signal (prctl): errno %d' % ctypes.get_errno())\n"
    "if os.getppid() != parent:\n"
    "    os._exit(128 + sig)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def launcher(death_signal: int = signal.SIGTERM, parent: int | None = None) -> list[str]:
    """The argv prefix that makes the command die (by `death_signal`) with this process (see module doc)."""
    if not sys.platform.startswith("linux"):
        return []  # prctl is Linux-only; elsewhere the run directory's pids.jsonl and `afsuite recover` remain
    return [sys.executable, "-I", "-S", "-c", _ARM, str(parent or os.getpid()), str(int(death_signal))]


def identity(pid: int) -> dict[str, Any] | None:
    """{create_time, cmdline} of a live process (None when it is gone)."""
    try:
        proc = psutil.Process(pid)
        return {"create_time": proc.create_time(), "cmdline": proc.cmdline()}
    except psutil.Error:
        return None


def record(run_dir: Path | None, pid: int, role: str, **extra: Any) -> dict[str, Any]:
    """Append `pid` (with its identity) to `<run_dir>/pids.jsonl`; returns the line written (nothing without a
    run directory)."""
    ident = identity(pid) or {}
    line = {"pid": pid, "role": role, "parent": os.getpid(), "recorded": time.time(), **ident, **extra}
    if run_dir is not None:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(run_dir) / PIDS_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
    return line


def spawn(argv: Sequence[str], *, role: str, run_dir: Path | None, **popen: Any) -> subprocess.Popen[Any]:
    """Start `argv` in its own session, dying with this process, recorded in `run_dir/pids.jsonl`."""
    proc: subprocess.Popen[Any] = subprocess.Popen([*launcher(), *argv], start_new_session=True, **popen)
    record(run_dir, proc.pid, role, argv=list(argv))
    return proc


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
